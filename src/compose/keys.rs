//! Composition resource names for list entries: derived from the entry
//! itself, so reordering a list moves no resource, and short, lowercase and
//! unique, so they are valid resource names wherever Crossplane puts them.

use std::fmt::Write as _;

/// The role, under Upbound's name, so XRs moving over keep their role.
pub const ROLE: &str = "iamRole";
/// The association, under Upbound's name.
pub const ASSOCIATION: &str = "podIdentityAssociation";
/// The `eks-pod-identity-agent` add-on.
pub const AGENT: &str = "podIdentityAgent";
/// The inline policy granting the cross-account target role.
pub const TARGET_ROLE_POLICY: &str = "targetRolePolicy";

/// Longest key: a Kubernetes label value's limit, so a key fits anywhere.
const MAX_KEY: usize = 63;

/// The key of the attachment of the managed policy `arn` named `name`.
#[must_use]
pub fn attachment(arn: &str, name: &str) -> String {
    derived("attach", name, arn)
}

/// The key of the inline policy named `name`.
#[must_use]
pub fn inline_policy(name: &str) -> String {
    derived("inline", name, name)
}

/// The key of the inline policy of a well-known add-on's set, by the
/// add-on's claim key: `well-known-externaldns`.
#[must_use]
pub fn well_known(claim_name: &str) -> String {
    format!("well-known-{}", claim_name.to_ascii_lowercase())
}

/// The key of an association other than the first: the cluster and the
/// service account for people, the whole pair (`identity`) in the hash.
#[must_use]
pub fn association(readable: &str, identity: &str) -> String {
    derived("assoc", readable, identity)
}

/// The key of the agent add-on of a cluster other than the first.
#[must_use]
pub fn agent(readable: &str, identity: &str) -> String {
    derived("agent", readable, identity)
}

/// The key of the `Usage` that holds the role for the resource `user`.
#[must_use]
pub fn usage(user: &str) -> String {
    derived("usage", user, user)
}

/// `<prefix>-<readable slug>-<8 hex digits of a hash of identity>`: the
/// slug helps people, the hash keeps entries whose slugs collide apart.
fn derived(prefix: &str, readable: &str, identity: &str) -> String {
    let room = MAX_KEY - prefix.len() - HASH_DIGITS - 2;
    let mut key = String::with_capacity(MAX_KEY);
    key.push_str(prefix);
    key.push('-');
    let slug = key.len();
    for c in readable.chars() {
        if key.len() - slug == room {
            break;
        }
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if key.len() > slug && !key.ends_with('-') {
            key.push('-');
        }
    }
    // The slug ends in a letter or digit, and an empty one leaves no dash.
    key.truncate(key.trim_end_matches('-').len());
    key.push('-');
    let hash = fnv1a(identity.as_bytes()) & 0xffff_ffff;
    // Writing to a String cannot fail.
    let _ = write!(key, "{hash:0HASH_DIGITS$x}");
    key
}

/// The hash's width in a key.
const HASH_DIGITS: usize = 8;

/// 64-bit FNV-1a: tiny, and fixed forever, which keys must be.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::{attachment, inline_policy, usage, MAX_KEY};

    #[test]
    fn keys_are_readable_and_pinned() {
        // Pinned: a changed key would delete and recreate users' resources.
        assert_eq!(
            attachment(
                "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
                "AmazonEKS_CNI_Policy"
            ),
            "attach-amazoneks-cni-policy-1b8873dd"
        );
        assert_eq!(inline_policy("default"), "inline-default-8620c5fe");
        assert_eq!(
            usage("podIdentityAssociation"),
            "usage-podidentityassociation-b4968411"
        );
    }

    #[test]
    fn same_name_in_other_accounts_gets_other_keys() {
        let a = attachment("arn:aws:iam::111122223333:policy/read", "read");
        let b = attachment("arn:aws:iam::444455556666:policy/read", "read");
        assert_ne!(a, b);
    }

    #[test]
    fn long_and_odd_names_stay_valid() {
        for name in [
            "x".repeat(128),
            "@@@".to_owned(),
            "A.B_C".to_owned(),
            "-".repeat(100),
        ] {
            let key = inline_policy(&name);
            assert!(key.len() <= MAX_KEY, "{key}");
            assert!(
                key.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{key}"
            );
            assert!(!key.ends_with('-') && !key.contains("--"), "{key}");
        }
    }
}
