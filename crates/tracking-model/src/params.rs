//! What every query-string reader shares: decoded pairs read one at a time, one value per
//! parameter, and values from a fixed set.

use std::fmt::Display;

use crate::InvalidField;

/// One decoded query-string pair, whoever owns its text.
pub trait QueryPair {
    fn key(&self) -> &str;
    fn value(&self) -> &str;
}

impl<K: AsRef<str>, V: AsRef<str>> QueryPair for (K, V) {
    fn key(&self) -> &str {
        self.0.as_ref()
    }

    fn value(&self) -> &str {
        self.1.as_ref()
    }
}

/// Reads `pairs` in order into a default `T` with `read`, stopping at the first refusal.
pub(crate) fn read_pairs<T: Default>(
    pairs: impl IntoIterator<Item = impl QueryPair>,
    mut read: impl FnMut(&mut T, &str, &str) -> Result<(), InvalidField>,
) -> Result<T, InvalidField> {
    let mut target = T::default();
    for pair in pairs {
        read(&mut target, pair.key(), pair.value())?;
    }
    Ok(target)
}

/// Stores `value` in `slot`, refusing a parameter given twice.
pub(crate) fn set_once<T>(slot: &mut Option<T>, key: &str, value: T) -> Result<(), InvalidField> {
    if slot.replace(value).is_some() {
        return Err(InvalidField::new(key, "is given more than once"));
    }
    Ok(())
}

/// The member of `all` whose name is `value`, or an error listing the names.
pub(crate) fn one_of<T: Copy + Display>(
    key: &str,
    value: &str,
    all: &[T],
) -> Result<T, InvalidField> {
    all.iter()
        .copied()
        .find(|candidate| candidate.to_string() == value)
        .ok_or_else(|| {
            let names: Vec<String> = all.iter().map(ToString::to_string).collect();
            InvalidField::new(key, format!("must be one of {}", names.join(", ")))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EntityType;

    #[test]
    fn a_parameter_is_read_once() {
        let mut slot = None;
        assert!(set_once(&mut slot, "tz", 1).is_ok());
        assert_eq!(set_once(&mut slot, "tz", 2).unwrap_err().field, "tz");
    }

    #[test]
    fn a_value_outside_the_set_is_refused_with_the_names() {
        assert_eq!(
            one_of("entity_type", "penalty", &EntityType::ALL),
            Ok(EntityType::Penalty)
        );
        let error = one_of("entity_type", "Task", &EntityType::ALL).unwrap_err();
        assert_eq!(error.field, "entity_type");
        assert!(
            error.to_string().contains("task, reward, penalty"),
            "{error}"
        );
    }
}
