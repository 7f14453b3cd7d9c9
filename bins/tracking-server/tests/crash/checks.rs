//! What must hold after every restart, one function per promise, each named for what it proves.
//! [`after_restart`] runs them all; a new check is one more function called from there.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use awc::http::Method;
use serde_json::Value;

use crate::file_checks;
use crate::report::Stats;
use crate::support::{ADMIN, Client};
use crate::workload::{Deletion, World};

/// What the restarted server shows, indexed for the checks.
pub struct Restarted<'a> {
    pub round: usize,
    pub world: &'a World,
    /// Every event of the history, by id.
    pub by_id: HashMap<&'a str, &'a Value>,
    /// Per child, its events in the contract's order.
    pub chains: BTreeMap<&'a str, Vec<&'a Value>>,
    /// The server's last errors and warnings, quoted where they explain a failure.
    pub errors: String,
}

/// Where the server under test keeps the family data and the history.
pub enum Store<'a> {
    /// The JSON-file store in this data dir: its files are checked too.
    Files { data: &'a Path },
    /// PostgreSQL: what the API shows is what is checked.
    #[cfg_attr(not(feature = "crash-postgres"), expect(dead_code))]
    Postgres,
}

/// Everything checked after a restart; `errors` are the server's last errors and warnings.
pub async fn after_restart(
    round: usize,
    client: &Client,
    errors: String,
    world: &World,
    store: Store<'_>,
    logs: &Path,
    stats: &mut Stats,
) {
    let events = client.history("").await;
    stats.events = events.len();
    let by_id = history_ids_are_unique(round, &events);
    if let Store::Files { data } = store {
        // First the files: a damaged or doubled line explains what the API shows.
        file_checks::data_files_are_whole_and_hold_the_history(round, &by_id, data, stats);
    }
    let seen = Restarted {
        round,
        world,
        chains: every_event_has_a_known_child(round, world, &events),
        by_id,
        errors,
    };
    events_carry_their_users_id_until_deleted(&seen);
    point_chains_are_exact(&seen);
    acknowledged_events_are_stored_as_answered(&seen);
    unacknowledged_events_come_only_from_lost_answers(&seen);
    deleted_users_are_gone(&seen, client).await;
    children_have_the_points_of_their_last_event(&seen, client).await;
    let files = file_checks::audit_files_belong_to_existing_users(&seen, logs, stats);
    file_checks::audit_lines_are_whole_in_order_and_once(&seen, files, logs, stats);
}

/// A deletion the kill cut short is either done (and must be whole) or not done at all; a user
/// never deleted still exists and a deleted one does not come back. Returns the families whose
/// deletion was not done, to be sent again.
pub fn deletions_are_all_or_nothing(
    round: usize,
    users: &HashSet<String>,
    world: &mut World,
    stats: &mut Stats,
) -> Vec<usize> {
    let mut not_done = Vec::new();
    for (index, family) in world.families.iter_mut().enumerate() {
        let exists = users.contains(&family.user);
        let user = &family.user;
        match family.deletion {
            Deletion::None => assert!(
                exists,
                "round {round}: user {user} is gone but was never deleted"
            ),
            Deletion::Sent if exists => {
                family.deletion = Deletion::None;
                stats.deletions_cut_not_done += 1;
                not_done.push(index);
            }
            Deletion::Sent => {
                family.deletion = Deletion::Found { round };
                stats.deletions_cut_found_done += 1;
            }
            Deletion::Acknowledged { round: deleted } | Deletion::Found { round: deleted } => {
                let how = match family.deletion {
                    Deletion::Found { .. } => "found done",
                    _ => "acknowledged",
                };
                assert!(
                    !exists,
                    "round {round}: user {user} is back although its deletion was {how} in \
                     round {deleted}"
                );
            }
        }
    }
    not_done
}

/// The users `GET /admin/users` lists.
pub async fn list_users(client: &Client, round: usize) -> HashSet<String> {
    let (status, users) = client.call(Method::GET, "/admin/users", ADMIN, None).await;
    assert_eq!(status, 200, "round {round}: GET /admin/users: {users}");
    users
        .as_array()
        .expect("a list of users")
        .iter()
        .map(|user| user["id"].as_str().unwrap().to_owned())
        .collect()
}

/// No event id twice in the history the API shows; the events by id.
fn history_ids_are_unique(round: usize, events: &[Value]) -> HashMap<&str, &Value> {
    let by_id: HashMap<&str, &Value> = events
        .iter()
        .map(|event| (event["id"].as_str().expect("an event has an id"), event))
        .collect();
    assert_eq!(
        by_id.len(),
        events.len(),
        "round {round}: an event id appears twice in the history the API shows"
    );
    by_id
}

/// Every event is of a child the test created; the events per child, in the contract's order.
fn every_event_has_a_known_child<'a>(
    round: usize,
    world: &World,
    events: &'a [Value],
) -> BTreeMap<&'a str, Vec<&'a Value>> {
    let known: HashSet<&str> = world
        .families
        .iter()
        .flat_map(|family| family.children.iter().map(String::as_str))
        .collect();
    let mut chains: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for event in events {
        let child = event["child_id"].as_str().expect("an event has a child");
        assert!(
            known.contains(child),
            "round {round}: event {} of an unknown child {child}",
            event["id"]
        );
        chains.entry(child).or_default().push(event);
    }
    chains
}

/// An event names its parent as `user_id`, or `null` once the parent's deletion is done.
fn events_carry_their_users_id_until_deleted(seen: &Restarted) {
    let (round, errors) = (seen.round, &seen.errors);
    for family in &seen.world.families {
        let events = family
            .children
            .iter()
            .filter_map(|child| seen.chains.get(child.as_str()));
        for event in events.flatten() {
            let (id, child) = (&event["id"], &event["child_id"]);
            if family.deletion.done() {
                assert!(
                    event["user_id"].is_null(),
                    "round {round}: event {id} of deleted user {} still has user_id {} \
                     (deletion {:?}); server errors:\n{errors}",
                    family.user,
                    event["user_id"],
                    family.deletion
                );
            } else {
                assert_eq!(
                    event["user_id"], family.user,
                    "round {round}: event {id} of child {child} has the wrong user_id"
                );
            }
        }
    }
}

/// Per child, an exact chain from 0: `points_before` is the previous `points_after`, and
/// `delta` is `points_after - points_before`.
fn point_chains_are_exact(seen: &Restarted) {
    let round = seen.round;
    for (child, chain) in &seen.chains {
        let mut points = 0;
        for event in chain {
            assert_eq!(
                event["points_before"].as_i64(),
                Some(points),
                "round {round}: child {child}: the chain breaks at event {} (points_before \
                 should be the previous points_after, {points})",
                event["id"]
            );
            let after = event["points_after"].as_i64().expect("points_after");
            assert_eq!(
                event["delta"].as_i64(),
                Some(after - points),
                "round {round}: event {}: delta is not points_after - points_before",
                event["id"]
            );
            points = after;
        }
    }
}

/// Every mutation answered 200 is in the history (once: ids are unique), equal to its answer
/// but for `user_id`, which is the answer's until the parent's deletion is done.
fn acknowledged_events_are_stored_as_answered(seen: &Restarted) {
    let round = seen.round;
    for (id, acked) in &seen.world.ledger.acked {
        let stored = seen.by_id.get(id.as_str()).unwrap_or_else(|| {
            panic!(
                "round {round}: event {id} (child {}, answered 200 in round {}) is missing \
                 from the history",
                acked.event["child_id"], acked.round
            )
        });
        assert_eq!(
            without_user(stored),
            without_user(&acked.event),
            "round {round}: event {id} (answered in round {}) differs from its 200 answer",
            acked.round
        );
        if !seen.world.families[acked.family].deletion.done() {
            assert_eq!(
                stored["user_id"], acked.event["user_id"],
                "round {round}: event {id}: user_id"
            );
        }
    }
}

/// Exactly once: every request whose answer a kill took was retried with its key and answered,
/// so a child has no event nobody acknowledged — but for requests of a family deleted before
/// their retry could settle them (at most one event each). Refusals record nothing.
fn unacknowledged_events_come_only_from_lost_answers(seen: &Restarted) {
    let round = seen.round;
    let mut acked_per_child: HashMap<&str, u64> = HashMap::new();
    for acked in seen.world.ledger.acked.values() {
        let child = acked.event["child_id"].as_str().unwrap();
        *acked_per_child.entry(child).or_default() += 1;
    }
    for (child, chain) in &seen.chains {
        let extra = chain.len() as u64 - acked_per_child.get(child).copied().unwrap_or(0);
        let lost = seen
            .world
            .ledger
            .unanswered
            .get(*child)
            .copied()
            .unwrap_or(0);
        assert!(
            extra <= lost,
            "round {round}: child {child} has {extra} events nobody acknowledged, but only \
             {lost} requests lost their answer"
        );
    }
}

/// A deleted user's history is anonymized (no event found by its id) and its token is refused.
async fn deleted_users_are_gone(seen: &Restarted<'_>, client: &Client) {
    let (round, errors) = (seen.round, &seen.errors);
    for family in seen
        .world
        .families
        .iter()
        .filter(|family| family.deletion.done())
    {
        let found = client.history(&format!("user_id={}&", family.user)).await;
        assert!(
            found.is_empty(),
            "round {round}: GET /admin/tracking?user_id={} finds {} events after the user's \
             deletion ({:?}); server errors:\n{errors}",
            family.user,
            found.len(),
            family.deletion
        );
        let (status, body) = client.call(Method::GET, "/me", &family.token, None).await;
        assert_eq!(
            status, 401,
            "round {round}: the token of deleted user {} still works: {body}",
            family.user
        );
    }
}

/// A child whose family exists has the points of its last event (0 without events).
async fn children_have_the_points_of_their_last_event(seen: &Restarted<'_>, client: &Client) {
    let round = seen.round;
    for family in seen
        .world
        .families
        .iter()
        .filter(|family| !family.deletion.done())
    {
        for child in &family.children {
            let path = format!("/children/{child}");
            let (status, body) = client.call(Method::GET, &path, &family.token, None).await;
            assert_eq!(status, 200, "round {round}: GET {path}: {body}");
            let last = seen
                .chains
                .get(child.as_str())
                .and_then(|chain| chain.last())
                .map_or(0, |event| event["points_after"].as_i64().unwrap());
            assert_eq!(
                body["points"].as_i64(),
                Some(last),
                "round {round}: child {child} has {} points, its last event says {last}",
                body["points"]
            );
        }
    }
}

fn without_user(event: &Value) -> Value {
    let mut event = event.clone();
    event
        .as_object_mut()
        .expect("an event is an object")
        .remove("user_id");
    event
}
