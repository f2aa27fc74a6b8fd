//! "Did you mean …?": the nearest of a few known names to a mistyped one
//! (resource types, profile names).

/// The candidate nearest to `name` within a small edit distance (1 for
/// short names, 2 otherwise), if any.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let max = if name.chars().count() <= 4 { 1 } else { 2 };
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance; the names are short, so the simple O(n·m) form.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_name_and_nonsense_finds_none() {
        assert_eq!(closest("sandbx", ["prod", "sandbox"]), Some("sandbox"));
        assert_eq!(closest("bulk", ["blk", "sandbox"]), Some("blk"));
        assert_eq!(closest("staging", ["prod", "sandbox"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
