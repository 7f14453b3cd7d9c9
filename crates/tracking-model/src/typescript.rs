//! Builds `frontend-bindings/src/models.ts`, the TypeScript twin of every type in this crate.

use ts_rs::{Config, TS};

use crate::{
    Action, Actor, Bucket, BucketTotals, Child, ChildId, ChildSummary, ChildToken, CreateChild,
    CreateReward, CreateTask, CreateUser, CreatedUser, EntityId, EntityType, ErrorBody, ErrorCode,
    ErrorDetails, ErrorInfo, EventId, EventMetadata, EventTicket, ExportFormat, FamilyRanking,
    Health, Me, Page, RankedChild, Reward, RewardId, RewardRequest, RewardRequestId,
    RewardRequestStatus, ServerEventType, SortOrder, StreamResetReason, SummaryQuery, Task, TaskId,
    Timestamp, Totals, TrackedMutation, TrackingEvent, TrackingEventCreated, TrackingQuery,
    TrackingStreamReset, User, UserId,
};

/// The command that rewrites the generated files from the Rust types.
pub const REGENERATE_COMMAND: &str =
    "UPDATE_GENERATED=1 cargo test -p tracking-model --test generated";

/// The whole text of `models.ts`.
pub fn models_ts() -> String {
    let cfg = Config::new().with_large_int("number");
    let mut out = format!(
        "// Generated from the Rust types in crates/tracking-model — do not edit.\n\
         // Regenerate with: {REGENERATE_COMMAND}\n"
    );
    let declarations = [
        declaration::<UserId>(&cfg),
        declaration::<ChildId>(&cfg),
        declaration::<TaskId>(&cfg),
        declaration::<RewardId>(&cfg),
        declaration::<RewardRequestId>(&cfg),
        declaration::<EventId>(&cfg),
        declaration::<EntityId>(&cfg),
        declaration::<Timestamp>(&cfg),
        declaration::<EntityType>(&cfg),
        declaration::<Action>(&cfg),
        declaration::<Actor>(&cfg),
        declaration::<EventMetadata>(&cfg),
        declaration::<TrackingEvent>(&cfg),
        declaration::<User>(&cfg),
        declaration::<Child>(&cfg),
        declaration::<Task>(&cfg),
        declaration::<Reward>(&cfg),
        declaration::<RewardRequestStatus>(&cfg),
        declaration::<RewardRequest>(&cfg),
        declaration::<CreateUser>(&cfg),
        declaration::<CreateChild>(&cfg),
        declaration::<CreateTask>(&cfg),
        declaration::<CreateReward>(&cfg),
        declaration::<CreatedUser>(&cfg),
        declaration::<ChildToken>(&cfg),
        declaration::<Me>(&cfg),
        declaration::<TrackedMutation>(&cfg),
        declaration::<EventTicket>(&cfg),
        declaration::<Health>(&cfg),
        declaration::<SortOrder>(&cfg),
        declaration::<TrackingQuery>(&cfg),
        declaration::<Page<TrackingEvent>>(&cfg),
        declaration::<Bucket>(&cfg),
        declaration::<SummaryQuery>(&cfg),
        declaration::<Totals>(&cfg),
        declaration::<BucketTotals>(&cfg),
        declaration::<ChildSummary>(&cfg),
        declaration::<RankedChild>(&cfg),
        declaration::<FamilyRanking>(&cfg),
        declaration::<ExportFormat>(&cfg),
        declaration::<ServerEventType>(&cfg),
        declaration::<TrackingEventCreated>(&cfg),
        declaration::<StreamResetReason>(&cfg),
        declaration::<TrackingStreamReset>(&cfg),
        declaration::<ErrorCode>(&cfg),
        declaration::<ErrorDetails>(&cfg),
        declaration::<ErrorInfo>(&cfg),
        declaration::<ErrorBody>(&cfg),
    ];
    for declaration in declarations {
        out.push('\n');
        out.push_str(&declaration);
    }
    out
}

fn declaration<T: TS>(cfg: &Config) -> String {
    format!(
        "{}export {}\n",
        T::docs().unwrap_or_default(),
        layout(&T::decl(cfg))
    )
}

/// Puts each field of an object type on its own indented line, with its TSDoc above it.
///
/// ts-rs writes `type X = { a: A, \n/** doc */\nb: B, };` on as few lines as it can; the front
/// end's developers read this file, so it is laid out the way they would write it.
fn layout(decl: &str) -> String {
    let Some((head, rest)) = decl.split_once("= { ") else {
        return decl.to_owned();
    };
    let Some(body) = rest.strip_suffix(" };") else {
        return decl.to_owned();
    };
    if top_level_close(body).is_some() {
        // Not one object but a union or intersection of several, such as a tagged enum.
        return decl.to_owned();
    }
    let mut out = format!("{head}= {{\n");
    let mut remaining = body.trim_start();
    while !remaining.is_empty() {
        if let Some(after_open) = remaining.strip_prefix("/**") {
            let (doc, after) = after_open.split_once("*/").unwrap_or((after_open, ""));
            out.push_str("  /**");
            out.push_str(&doc.replace("\n", "\n  "));
            out.push_str("*/\n");
            remaining = after.trim_start();
        } else {
            let end = top_level_comma(remaining).unwrap_or(remaining.len());
            out.push_str(&format!("  {};\n", remaining[..end].trim()));
            remaining = remaining.get(end + 1..).unwrap_or_default().trim_start();
        }
    }
    out.push_str("};");
    out
}

/// The byte index of the first closing bracket that closes more than `text` opened.
fn top_level_close(text: &str) -> Option<usize> {
    first_at_depth(text, |ch, depth| {
        depth < 0 && matches!(ch, '>' | '}' | ')' | ']')
    })
}

/// The byte index of the first comma outside any brackets.
fn top_level_comma(text: &str) -> Option<usize> {
    first_at_depth(text, |ch, depth| depth == 0 && ch == ',')
}

/// The byte index of the first character `stop` accepts, given the bracket depth after it.
fn first_at_depth(text: &str, stop: impl Fn(char, i32) -> bool) -> Option<usize> {
    let mut depth = 0_i32;
    text.char_indices().find_map(|(index, ch)| {
        match ch {
            '<' | '{' | '(' | '[' => depth += 1,
            '>' | '}' | ')' | ']' => depth -= 1,
            _ => {}
        }
        stop(ch, depth).then_some(index)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_puts_fields_and_docs_on_their_own_lines() {
        let decl =
            "type X = { a: Record<string, unknown> | null, \n/**\n * The b.\n */\nb?: Array<T>, };";
        assert_eq!(
            layout(decl),
            "type X = {\n  a: Record<string, unknown> | null;\n  /**\n   * The b.\n   */\n  b?: Array<T>;\n};"
        );
    }

    #[test]
    fn layout_leaves_other_declarations_alone() {
        assert_eq!(layout("type A = \"x\" | \"y\";"), "type A = \"x\" | \"y\";");
        let union = "type M = { \"role\": \"a\" } & A | { \"role\": \"b\", b: B, };";
        assert_eq!(layout(union), union);
    }

    #[test]
    fn large_integers_are_numbers_and_every_type_is_exported() {
        let text = models_ts();
        assert!(!text.contains("bigint"));
        for name in [
            "TrackingEvent",
            "Page<T>",
            "TrackingEventCreated",
            "ErrorBody",
            "TrackingQuery",
        ] {
            assert!(
                text.contains(&format!("export type {name} = ")),
                "{name} missing"
            );
        }
    }
}
