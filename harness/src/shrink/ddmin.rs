//! Delta debugging (Zeller's ddmin): the smallest subset of a failing list that still fails,
//! testing chunks and their complements with ever finer chunks. Each test is an expensive run,
//! so results are remembered and the test may stop the search (budget spent) by answering
//! `None`: the smallest failing subset found so far is returned.

/// The smallest failing subset of `items` (kept in order) that ddmin finds; `fails` tells
/// whether a subset still fails (`None`: stop, the budget is spent). `items` itself is assumed
/// to fail.
pub fn ddmin<T: Clone + PartialEq>(items: &[T], mut fails: impl FnMut(&[T]) -> Option<bool>) -> Vec<T> {
    let mut current: Vec<T> = items.to_vec();
    let mut tried: Vec<(Vec<T>, bool)> = Vec::new();
    let mut test = |subset: &[T]| -> Option<bool> {
        if let Some((_, failed)) = tried.iter().find(|(s, _)| s == subset) {
            return Some(*failed);
        }
        let failed = fails(subset)?;
        tried.push((subset.to_vec(), failed));
        Some(failed)
    };
    let mut n = 2;
    while current.len() >= 2 {
        let chunks = split(&current, n);
        let mut next = None;
        for chunk in &chunks {
            match test(chunk) {
                None => return current,
                Some(true) => {
                    next = Some((chunk.clone(), 2));
                    break;
                }
                Some(false) => {}
            }
        }
        if next.is_none() && n > 2 {
            for i in 0..chunks.len() {
                let complement: Vec<T> =
                    chunks.iter().enumerate().filter(|(j, _)| *j != i).flat_map(|(_, c)| c.clone()).collect();
                match test(&complement) {
                    None => return current,
                    Some(true) => {
                        next = Some((complement, (n - 1).max(2)));
                        break;
                    }
                    Some(false) => {}
                }
            }
        }
        match next {
            Some((smaller, granularity)) => {
                current = smaller;
                n = granularity;
            }
            None if n >= current.len() => break,
            None => n = (2 * n).min(current.len()),
        }
    }
    current
}

/// `items` cut into `n` chunks of nearly equal size, in order.
fn split<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..n {
        let end = start + (items.len() - start) / (n - i);
        out.push(items[start..end].to_vec());
        start = end;
    }
    out.retain(|c| !c.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_one_culprit_and_a_pair_that_fails_only_together() {
        let mut calls = 0;
        let one = ddmin(&[1, 2, 3, 4], |s| {
            calls += 1;
            Some(s.contains(&3))
        });
        assert_eq!((one, calls), (vec![3], 3));
        let pair = ddmin(&(1..=8).collect::<Vec<_>>(), |s| Some(s.contains(&2) && s.contains(&7)));
        assert_eq!(pair, [2, 7]);
    }

    #[test]
    fn a_spent_budget_returns_the_smallest_failing_so_far() {
        let mut budget = 1;
        let found = ddmin(&[1, 2, 3, 4], |s| {
            if budget == 0 {
                return None;
            }
            budget -= 1;
            Some(s.contains(&1))
        });
        assert_eq!(found, [1, 2]);
        assert_eq!(ddmin(&[5], |_| None), [5]);
    }
}
