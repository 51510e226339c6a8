//! The closest known name to a misspelt one, for "did you mean" hints.
//!
//! Edit distance (insertions, deletions, substitutions, letters compared
//! without case) within a small bound: only the diagonal band of width
//! `2 * bound + 1` is computed, so one comparison costs the word's length
//! times that width, and candidates whose length differs by more than the
//! bound cost nothing.

use super::budget::Budget;

/// The most edits a suggestion may be away: two for words of six letters
/// or more, one for shorter ones (where two edits make another word).
#[must_use]
pub fn bound_for(word: &str) -> usize {
    if word.len() >= 6 {
        2
    } else {
        1
    }
}

/// The candidate closest to `word` within [`bound_for`] edits, the first
/// one on a tie; `None` when none is that close or the budget runs out.
/// Each comparison costs the budget the cells it computes.
pub fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    budget: &Budget,
) -> Option<&'a str> {
    let bound = bound_for(word);
    let mut best: Option<(usize, &'a str)> = None;
    let word = word.as_bytes();
    for candidate in candidates {
        if candidate.len().abs_diff(word.len()) > bound {
            continue;
        }
        let cells = u64::try_from(word.len() * (2 * bound + 1)).unwrap_or(u64::MAX);
        if !budget.spend(cells) {
            return None;
        }
        let limit = best.map_or(bound, |(distance, _)| distance.saturating_sub(1));
        if let Some(distance) = distance_within(word, candidate.as_bytes(), limit) {
            best = Some((distance, candidate));
            if distance == 0 {
                break;
            }
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// The edit distance between `one` and `other` when it is at most `bound`.
fn distance_within(one: &[u8], other: &[u8], bound: usize) -> Option<usize> {
    if one.len().abs_diff(other.len()) > bound {
        return None;
    }
    let same = |a: u8, b: u8| a.eq_ignore_ascii_case(&b);
    let far = bound + 1;
    // Row i holds distances of one[..i] to other[..j] for j within the band.
    let mut previous: Vec<usize> = (0..=other.len()).map(|j| j.min(far)).collect();
    let mut current = vec![far; other.len() + 1];
    for i in 1..=one.len() {
        let low = i.saturating_sub(bound).max(1);
        let high = (i + bound).min(other.len());
        current.fill(far);
        current[0] = i.min(far);
        let mut best_in_row = current[0];
        for j in low..=high {
            let substitute = previous[j - 1] + usize::from(!same(one[i - 1], other[j - 1]));
            let delete = previous[j] + 1;
            let insert = current[j - 1] + 1;
            current[j] = substitute.min(delete).min(insert).min(far);
            best_in_row = best_in_row.min(current[j]);
        }
        if best_in_row > bound {
            return None;
        }
        std::mem::swap(&mut previous, &mut current);
    }
    let distance = previous[other.len()];
    (distance <= bound).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::{closest, distance_within};
    use crate::iam::budget::Budget;

    #[test]
    fn distances_within_the_band() {
        let cases = [
            ("GetObject", "GetObjects", 2, Some(1)),
            ("Querry", "Query", 2, Some(1)),
            ("getobject", "GetObject", 2, Some(0)),
            ("ReceiveMessage", "DeleteMessage", 2, None),
            ("abc", "xyz", 2, None),
            ("ab", "ba", 2, Some(2)),
            ("", "ab", 2, Some(2)),
            ("", "abc", 2, None),
        ];
        for (one, other, bound, want) in cases {
            assert_eq!(
                distance_within(one.as_bytes(), other.as_bytes(), bound),
                want,
                "{one} -> {other}"
            );
        }
    }

    #[test]
    fn the_closest_candidate_wins() {
        let budget = Budget::unlimited();
        let names = ["Query", "Scan", "PutItem", "GetItem"];
        assert_eq!(closest("Querry", names, &budget), Some("Query"));
        assert_eq!(closest("GetItems", names, &budget), Some("GetItem"));
        assert_eq!(closest("Delete", names, &budget), None);
        assert_eq!(closest("Query", names, &Budget::new(0)), None);
    }
}
