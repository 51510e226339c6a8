//! The vendored action catalogue: its recorded version, counts and
//! checksum agree with the file, its README and what the binary reads.

use std::path::Path;

use function_eks_pod_identity::iam::catalogue::{self, AccessLevel, TEXT};

/// FNV-1a, 64 bits, as `scripts/update-iam-data` computes it.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn the_file_agrees_with_its_recorded_version_counts_and_checksum() {
    let catalogue = catalogue::get();
    let header = catalogue.header();
    assert_eq!(catalogue.rejected_lines(), 0, "lines the reader skipped");
    let (_, body) = TEXT.split_once('\n').unwrap();
    assert_eq!(
        header.field("fnv1a64"),
        Some(format!("{:016x}", fnv1a64(body.as_bytes())).as_str()),
        "data/iam/catalogue.txt was changed by hand; regenerate it with scripts/update-iam-data"
    );
    let count = |name: &str| header.field(name).unwrap().parse::<usize>().unwrap();
    assert_eq!(count("services"), catalogue.services().count());
    assert_eq!(count("actions"), catalogue.action_count());
    assert_eq!(count("resources"), catalogue.resource_type_count());
    assert_eq!(
        count("keys"),
        catalogue
            .services()
            .map(|service| service.condition_keys().count())
            .sum::<usize>()
    );
    assert_eq!(count("globals"), catalogue.global_keys().count());
    // Looked up by binary search: services by prefix, actions by name,
    // both without case.
    let folded = |text: &str| text.to_ascii_lowercase();
    let prefixes: Vec<String> = catalogue
        .services()
        .map(|service| folded(service.prefix()))
        .collect();
    assert!(
        prefixes.windows(2).all(|pair| pair[0] < pair[1]),
        "services out of order"
    );
    for service in catalogue.services() {
        let names: Vec<String> = service
            .actions()
            .map(|action| folded(action.name()))
            .collect();
        assert!(
            names.windows(2).all(|pair| pair[0] < pair[1]),
            "{} out of order",
            service.prefix()
        );
    }
    // The release's version is its date: 0.1.YYYYMMDDN.
    let date: String = header
        .updated
        .chars()
        .filter(char::is_ascii_digit)
        .take(8)
        .collect();
    assert!(header.version.starts_with("0.1."), "{}", header.version);
    assert_eq!(&header.version[4..12], date, "version and date disagree");

    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/iam/README.md"))
            .unwrap();
    let line = format!(
        "Version: `{}` (data of {})",
        header.version,
        &header.updated[..10]
    );
    assert!(readme.contains(&line), "data/iam/README.md lacks {line:?}");
}

#[test]
fn the_catalogue_holds_what_the_issue_counts() {
    let catalogue = catalogue::get();
    assert!(catalogue.services().count() >= 450);
    assert!(catalogue.action_count() >= 22_000);
    for level in AccessLevel::ALL {
        assert!(
            catalogue
                .services()
                .flat_map(|service| service.actions())
                .any(|action| action.level() == level),
            "no {level} action"
        );
    }
    let object = catalogue
        .action("s3", "GetObject")
        .unwrap()
        .resource_types()
        .find(|resource| resource.name() == "object")
        .unwrap();
    assert_eq!(
        object.arn_formats().collect::<Vec<_>>(),
        ["arn:${Partition}:s3:::${BucketName}/${ObjectName}"]
    );
    assert!(catalogue.is_global_key("aws:PrincipalOrgID"));
    assert!(catalogue
        .service("iam")
        .unwrap()
        .has_condition_key("iam:PassedToService"));
}

/// The prefixes several of AWS's service pages share (API Gateway and its
/// V2, the classic and V2 load balancers, Greengrass and its V2, ...): the
/// source keeps one page's resource types per action, so the script gives
/// an action of these prefixes every resource type of its prefix, and the
/// lint never calls `arn:aws:apigateway:*::/apis` one that grants nothing
/// to `apigateway:GET`.
#[test]
fn actions_of_a_shared_prefix_have_every_resource_type_of_it() {
    const SHARED: [&str; 7] = [
        "apigateway",
        "aws-marketplace",
        "elasticloadbalancing",
        "greengrass",
        "kinesisanalytics",
        "lex",
        "ses",
    ];
    let catalogue = catalogue::get();
    for prefix in SHARED {
        let service = catalogue.service(prefix).unwrap();
        let all = service.resource_types().count();
        assert!(all > 0, "{prefix}");
        for action in service.actions() {
            let count = action.resource_type_numbers().count();
            assert!(
                count == 0 || count == all,
                "{action} has {count} of {prefix}'s {all} resource types"
            );
        }
    }
    let get = catalogue.action("apigateway", "GET").unwrap();
    assert!(get
        .resource_types()
        .any(|kind| kind.arn_formats().any(|format| format.ends_with(":/apis"))));
}
