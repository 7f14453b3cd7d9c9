//! The bodies of the mutations that create things, validated with `validator`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};
use utoipa::ToSchema;
use validator::{Validate, ValidationError, ValidationErrors};

use crate::{Child, ChildId, InvalidField, Reward, RewardId, Task, TaskId, Timestamp, UserId};

/// Longest name, in characters, after trimming.
pub const MAX_NAME_CHARS: usize = 100;

/// `POST /admin/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 1 to 100 characters after trimming, no control characters.
    #[validate(custom(function = "validate_name"))]
    #[schema(schema_with = name_schema)]
    pub name: String,
}

/// `POST /children`; the child starts with 0 points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChild {
    /// 1 to 100 characters after trimming, no control characters.
    #[validate(custom(function = "validate_name"))]
    #[schema(schema_with = name_schema)]
    pub name: String,
}

/// `POST /tasks`; `is_good: false` makes a penalty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    /// 1 to 100 characters after trimming, no control characters.
    #[validate(custom(function = "validate_name"))]
    #[schema(schema_with = name_schema)]
    pub name: String,
    /// 1 to 1,000,000.
    #[validate(custom(function = "validate_amount"))]
    pub points: Amount,
    pub is_good: bool,
}

/// `POST /rewards`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReward {
    /// 1 to 100 characters after trimming, no control characters.
    #[validate(custom(function = "validate_name"))]
    #[schema(schema_with = name_schema)]
    pub name: String,
    /// 1 to 1,000,000.
    #[validate(custom(function = "validate_amount"))]
    pub cost: Amount,
}

/// The points a task gives or takes or a reward costs, as sent: a whole number (also written with
/// a zero fraction, `5.0`), accepted from 1 to [`Amount::MAX`] by the body's validation, with the
/// body's other fields, so that the first wrong field is named whatever the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Amount(i64);

impl Amount {
    /// The largest amount the body's validation accepts.
    pub const MAX: i64 = 1_000_000;

    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for Amount {
    fn from(amount: i64) -> Self {
        Self(amount)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        whole_number(deserializer).map(Self)
    }
}

// TypeScript knows an amount as the number it is.
impl TS for Amount {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(cfg: &ts_rs::Config) -> String {
        <i64 as TS>::name(cfg)
    }

    fn inline(cfg: &ts_rs::Config) -> String {
        <i64 as TS>::inline(cfg)
    }
}

impl utoipa::PartialSchema for Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .maximum(Some(Self::MAX))
            .into()
    }
}

impl ToSchema for Amount {}

fn validate_amount(amount: &Amount) -> Result<(), ValidationError> {
    if (1..=Amount::MAX).contains(&amount.0) {
        Ok(())
    } else {
        Err(ValidationError::new("range")
            .with_message(format!("must be between 1 and {}", Amount::MAX).into()))
    }
}

impl CreateChild {
    /// The child this body adds to `owner`'s family at `now`, with 0 points.
    pub fn into_child(self, owner: UserId, now: Timestamp) -> Child {
        Child {
            id: ChildId::generate(),
            user_id: owner,
            name: clean_name(&self.name),
            points: 0,
            created_at: now,
        }
    }
}

impl CreateTask {
    /// The task (or penalty) this body adds to `owner`'s family at `now`.
    pub fn into_task(self, owner: UserId, now: Timestamp) -> Task {
        Task {
            id: TaskId::generate(),
            user_id: owner,
            name: clean_name(&self.name),
            points: self.points.get(),
            is_good: self.is_good,
            created_at: now,
        }
    }
}

impl CreateReward {
    /// The reward this body adds to `owner`'s family at `now`.
    pub fn into_reward(self, owner: UserId, now: Timestamp) -> Reward {
        Reward {
            id: RewardId::generate(),
            user_id: owner,
            name: clean_name(&self.name),
            cost: self.cost.get(),
            created_at: now,
        }
    }
}

/// The OpenAPI schema of a name: the pattern says what `validate_name` checks (no control
/// character, at least one visible one), its class of visible characters listed from the same
/// Unicode tables.
fn name_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_NAME_CHARS))
        .pattern(Some(name_pattern()))
        .description(Some(
            "1 to 100 characters after trimming white space, no control characters, at least \
             one visible character",
        ))
        .build()
}

/// `^[^controls]*[visible][^controls]*$`, the visible class as ranges of literal characters.
pub fn name_pattern() -> &'static str {
    static PATTERN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        let mut class = String::new();
        let mut start: Option<char> = None;
        let mut previous = '\0';
        let push = |class: &mut String, from: char, to: char| {
            let literal = |c: char| match c {
                '\\' | ']' | '[' | '^' | '-' => format!("\\{c}"),
                _ => c.to_string(),
            };
            class.push_str(&literal(from));
            if to != from {
                class.push('-');
                class.push_str(&literal(to));
            }
        };
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let visible = is_visible(c) && !c.is_control();
            match (visible, start) {
                (true, None) => start = Some(c),
                (false, Some(from)) => {
                    push(&mut class, from, previous);
                    start = None;
                }
                _ => {}
            }
            previous = c;
        }
        if let Some(from) = start {
            push(&mut class, from, previous);
        }
        let controls = r"\x00-\x1f\x7f-\x9f";
        format!("^[^{controls}]*[{class}][^{controls}]*$")
    })
}

/// An integer, also when written with a zero fraction (`5.0`): JSON Schema's `integer` is the
/// value, not its spelling. Any other number is refused.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(whole) = number.as_i64() {
        return Ok(whole);
    }
    match number.as_f64() {
        // Exact for every value below 2^53, the largest points a value may have.
        Some(float) if float.fract() == 0.0 && float.abs() < 9_007_199_254_740_992.0 => {
            Ok(float as i64)
        }
        _ => Err(serde::de::Error::custom(format!(
            "invalid type: {number}, expected a whole number"
        ))),
    }
}

/// A name as it is stored: without surrounding white space.
pub fn clean_name(name: &str) -> String {
    name.trim().to_owned()
}

fn validate_name(name: &str) -> Result<(), ValidationError> {
    let trimmed = name.trim();
    let chars = trimmed.chars().count();
    let problem = if chars == 0 {
        "must not be empty"
    } else if chars > MAX_NAME_CHARS {
        "must be at most 100 characters"
    } else if trimmed.chars().any(char::is_control) {
        "must not contain control characters"
    } else if !trimmed.chars().any(is_visible) {
        "must contain a visible character"
    } else {
        return Ok(());
    };
    Err(ValidationError::new("name").with_message(problem.into()))
}

/// Whether `c` shows on screen: not white space, a control or a format character (zero-width
/// spaces and joiners, the byte-order mark, direction marks: general category `Cf`).
fn is_visible(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Other | GeneralCategoryGroup::Separator
        )
        || c.general_category() == GeneralCategory::PrivateUse
}

/// Validates `body` and names the first wrong field (in alphabetical order, so the answer is stable).
pub fn check<T: Validate>(body: &T) -> Result<(), InvalidField> {
    body.validate()
        .map_err(|errors| first_invalid_field(&errors))
}

fn first_invalid_field(errors: &ValidationErrors) -> InvalidField {
    let field_errors = errors.field_errors();
    let Some((field, problems)) = field_errors
        .iter()
        .min_by_key(|(field, _)| field.to_string())
    else {
        return InvalidField::new("body", "is invalid");
    };
    let message = problems
        .first()
        .and_then(|problem| problem.message.as_ref().map(ToString::to_string))
        .unwrap_or_else(|| "is invalid".to_owned());
    InvalidField::new(field.to_string(), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str, points: i64) -> CreateTask {
        CreateTask {
            name: name.into(),
            points: points.into(),
            is_good: true,
        }
    }

    #[test]
    fn accepts_a_plain_body() {
        assert_eq!(check(&task("Make bed", 5)), Ok(()));
        assert_eq!(check(&task(&"x".repeat(100), 1_000_000)), Ok(()));
        assert_eq!(check(&task("  padded  ", 1)), Ok(()));
    }

    #[test]
    fn names_the_wrong_field() {
        let cases = [
            (task("", 5), "name", "must not be empty"),
            (task("   ", 5), "name", "must not be empty"),
            (
                task(&"x".repeat(101), 5),
                "name",
                "must be at most 100 characters",
            ),
            (
                task("tab\there", 5),
                "name",
                "must not contain control characters",
            ),
            (
                task("Make bed", 0),
                "points",
                "must be between 1 and 1000000",
            ),
            (
                task("Make bed", 1_000_001),
                "points",
                "must be between 1 and 1000000",
            ),
            (
                task("Make bed", -5),
                "points",
                "must be between 1 and 1000000",
            ),
        ];
        for (body, field, message) in cases {
            assert_eq!(
                check(&body),
                Err(InvalidField::new(field, message)),
                "{body:?}"
            );
        }
    }

    #[test]
    fn a_name_needs_a_visible_character() {
        for name in [
            "\u{200b}",
            "\u{feff}",
            "\u{200b}\u{200c}\u{200d}\u{2060}",
            "\u{200e}\u{202e}",
            " \u{00a0}\u{3000}\u{200b} ",
            "\u{e0020}",
        ] {
            assert_eq!(
                check(&CreateChild { name: name.into() }),
                Err(InvalidField::new(
                    "name",
                    "must contain a visible character"
                )),
                "{name:?}"
            );
        }
        for name in [
            "Sam\u{200b}",
            "\u{feff}Zoë",
            "李",
            "🙂",
            "\u{0301}a",
            "\u{e000}",
        ] {
            assert_eq!(
                check(&CreateChild { name: name.into() }),
                Ok(()),
                "{name:?}"
            );
        }
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(
            check(&CreateChild {
                name: "é".repeat(100)
            }),
            Ok(())
        );
        assert!(
            check(&CreateChild {
                name: "é".repeat(101)
            })
            .is_err()
        );
    }

    #[test]
    fn several_wrong_fields_report_the_first_alphabetically() {
        assert_eq!(check(&task("", 0)).unwrap_err().field, "name");
        let reward = CreateReward {
            name: String::new(),
            cost: 0.into(),
        };
        assert_eq!(check(&reward).unwrap_err().field, "cost");
    }

    #[test]
    fn unknown_fields_and_wrong_types_do_not_deserialize() {
        assert!(serde_json::from_str::<CreateChild>(r#"{"name":"Sam","age":7}"#).is_err());
        assert!(
            serde_json::from_str::<CreateTask>(r#"{"name":"x","points":"5","is_good":true}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<CreateReward>(r#"{"name":"x"}"#).is_err());
    }

    #[test]
    fn clean_name_trims() {
        assert_eq!(clean_name("  Sam \n"), "Sam");
    }
}
