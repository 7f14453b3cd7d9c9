//! The range every stored integer stays in, so that JavaScript reads it exactly.

use crate::ModelError;

/// The largest integer a JavaScript number holds exactly, 2^53 − 1.
pub const MAX_POINTS: i64 = (1 << 53) - 1;

/// Checks that `value` lies within ±[`MAX_POINTS`]; `field` names it in the error.
pub fn check_in_range(field: &'static str, value: i64) -> Result<i64, ModelError> {
    if (-MAX_POINTS..=MAX_POINTS).contains(&value) {
        Ok(value)
    } else {
        Err(ModelError::OutOfRange { field, value })
    }
}

/// Adds `delta` to `points`, refusing a result outside ±[`MAX_POINTS`].
pub fn apply_delta(points: i64, delta: i64) -> Result<i64, ModelError> {
    let after = points.checked_add(delta).ok_or(ModelError::OutOfRange {
        field: "points_after",
        value: i64::MAX,
    })?;
    check_in_range("points_after", after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive() {
        assert_eq!(check_in_range("p", MAX_POINTS), Ok(MAX_POINTS));
        assert_eq!(check_in_range("p", -MAX_POINTS), Ok(-MAX_POINTS));
        assert!(check_in_range("p", MAX_POINTS + 1).is_err());
        assert!(check_in_range("p", -MAX_POINTS - 1).is_err());
    }

    #[test]
    fn apply_delta_refuses_overflow() {
        assert_eq!(apply_delta(10, -15), Ok(-5));
        assert!(apply_delta(MAX_POINTS, 1).is_err());
        assert!(apply_delta(i64::MAX, i64::MAX).is_err());
    }
}
