//! Values grouped by a text key in one list.
//!
//! A map from each key to a list of its own costs an allocation per key: for a directory's
//! 100,000 employee ids or members, 100,000 lists of one to four values. [`Grouped`] keeps every
//! value in one list, those of a key side by side, and each key's place in it.

use rustc_hash::FxHashMap;

/// Each key's values, in the order they were given.
#[derive(Debug, Default)]
pub(crate) struct Grouped<'k, V> {
    /// Where each key's values are in `values`: (start, count).
    at: FxHashMap<&'k str, (u32, u32)>,
    values: Vec<V>,
}

impl<'k, V: Copy> Grouped<'k, V> {
    /// Groups the pairs `pairs` gives (it is called twice and must give the same pairs).
    pub(crate) fn new<I>(pairs: impl Fn() -> I) -> Self
    where
        I: Iterator<Item = (&'k str, V)>,
    {
        const UNPLACED: u32 = u32::MAX;
        let mut at: FxHashMap<&str, (u32, u32)> = FxHashMap::default();
        let mut count = 0;
        for (key, _) in pairs() {
            at.entry(key).or_insert((UNPLACED, 0)).1 += 1;
            count += 1;
        }
        let mut slots: Vec<Option<V>> = vec![None; count];
        let mut next = 0;
        for (key, value) in pairs() {
            let Some((start, placed)) = at.get_mut(key) else {
                continue;
            };
            if *start == UNPLACED {
                // The key's place is taken at its first value; its count is counted again as
                // its values are placed.
                *start = next;
                next += std::mem::take(placed);
            }
            if let Some(slot) = slots.get_mut((*start + *placed) as usize) {
                *slot = Some(value);
            }
            *placed += 1;
        }
        Self {
            at,
            values: slots.into_iter().flatten().collect(),
        }
    }

    /// The values of `key`, in the order given; none for a key never given.
    pub(crate) fn get(&self, key: &str) -> &[V] {
        match self.at.get(key) {
            Some(&(start, count)) => {
                let start = start as usize;
                self.values
                    .get(start..start + count as usize)
                    .unwrap_or(&[])
            }
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::Grouped;

    proptest! {
        #[test]
        fn each_key_gives_its_values_in_the_order_given(
            pairs in proptest::collection::vec(("[a-e]", any::<u16>()), 0..200),
        ) {
            let grouped = Grouped::new(|| pairs.iter().map(|(key, value)| (key.as_str(), *value)));
            for key in ["a", "b", "c", "d", "e", "f"] {
                let expected: Vec<u16> = pairs
                    .iter()
                    .filter(|(k, _)| k == key)
                    .map(|(_, value)| *value)
                    .collect();
                prop_assert_eq!(grouped.get(key), expected.as_slice());
            }
        }
    }
}
