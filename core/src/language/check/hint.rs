//! What a message suggests: close names, conversions.

/// "; did you mean `count`?" when a known name is one or two edits away.
pub(super) fn suggest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let limit = if name.chars().count() <= 3 { 1 } else { 2 };
    known
        .into_iter()
        .filter(|k| *k != name)
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| format!("; did you mean `{k}`?"))
        .unwrap_or_default()
}

/// Levenshtein distance in code points, without allocating for short names
/// (it runs once per candidate of a hint).
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let a: smallvec::SmallVec<[char; 32]> = a.chars().collect();
    let b: smallvec::SmallVec<[char; 32]> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 {
        // Farther than any hint looks; the exact figure does not matter.
        return a.len().abs_diff(b.len());
    }
    let mut prev: smallvec::SmallVec<[usize; 33]> = (0..=b.len()).collect();
    let mut cur: smallvec::SmallVec<[usize; 33]> = smallvec::smallvec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
