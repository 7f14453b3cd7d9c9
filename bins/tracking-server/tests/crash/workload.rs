//! The workload: families created once, concurrent writers sending the four tracked mutations
//! to random children, and users' deletions; every answer is recorded in the [`Ledger`] so that
//! the checks know what the server acknowledged.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use awc::http::Method;
use serde_json::{Value, json};
use tracking_model::test_support::Rng;

use crate::support::{ADMIN, Client, NoAnswer};
use crate::{CHILDREN_PER_FAMILY, DOOMED_FAMILIES, STABLE_FAMILIES};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    None,
    /// Sent; no answer yet (or the kill took it).
    Sent,
    /// Answered 204.
    Acknowledged {
        round: usize,
    },
    /// Found done after a restart although its answer was lost to the kill.
    Found {
        round: usize,
    },
}

impl Deletion {
    pub fn done(self) -> bool {
        matches!(self, Self::Acknowledged { .. } | Self::Found { .. })
    }
}

pub struct Family {
    pub user: String,
    pub token: String,
    pub children: Vec<String>,
    pub tasks: Vec<String>,
    pub penalties: Vec<String>,
    pub rewards: Vec<String>,
    pub deletion: Deletion,
}

/// The tracked mutations, each as often as it is drawn.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Task,
    Penalty,
    Request,
    Redeem,
    Cancel,
}

impl Kind {
    const ALL: [Kind; 10] = [
        Kind::Task,
        Kind::Task,
        Kind::Task,
        Kind::Penalty,
        Kind::Penalty,
        Kind::Request,
        Kind::Request,
        Kind::Redeem,
        Kind::Redeem,
        Kind::Cancel,
    ];

    /// The `entity_type` and `action` of the event it records.
    pub fn event(self) -> (&'static str, &'static str) {
        match self {
            Kind::Task => ("task", "activated"),
            Kind::Penalty => ("penalty", "activated"),
            Kind::Request => ("reward", "requested"),
            Kind::Redeem => ("reward", "redeemed"),
            Kind::Cancel => ("reward", "cancelled"),
        }
    }

    /// The refusals (409) the contract allows for this mutation here.
    pub fn refusals(self) -> &'static [&'static str] {
        match self {
            Kind::Task | Kind::Penalty => &[],
            Kind::Request => &["insufficient_points", "already_requested"],
            Kind::Redeem => &["insufficient_points"],
            Kind::Cancel => &["no_pending_request"],
        }
    }
}

/// An event answered with 200.
pub struct Acked {
    pub event: Value,
    pub family: usize,
    pub round: usize,
}

#[derive(Default)]
pub struct Ledger {
    /// Every event answered with 200, by id.
    pub acked: HashMap<String, Acked>,
    /// Per child: requests that may have reached the server and whose retry after the restart
    /// could not settle them (their family was deleted meanwhile).
    pub unanswered: HashMap<String, u64>,
    /// Requests whose answer the kill took, retried with their key after the restart.
    pub lost: Vec<Mutation>,
    /// Answers `5xx` during a database restart, whose requests were retried like lost ones.
    pub outage_errors: u64,
    /// Retries answered with the first answer (`Idempotent-Replayed: true`), or performed afresh.
    pub retries_replayed: u64,
    pub retries_performed: u64,
    /// Tracked mutations sent by the writers (retries not counted).
    pub sent: u64,
    pub refused: u64,
    pub gone: u64,
    pub unexpected: Vec<String>,
}

#[derive(Default)]
pub struct World {
    pub families: Vec<Family>,
    pub ledger: Ledger,
    /// Set just before the kill: from then on, a missing answer is expected.
    pub killing: bool,
    /// Set when the round's load is to end without a kill.
    pub stopping: bool,
    /// Set just before the database restarts, for the rest of the round: from then on an answer
    /// `5xx` is expected too (the commit may or may not have happened).
    pub outage: bool,
}

pub type Shared = Rc<RefCell<World>>;

/// One tracked mutation on its way: who sends it, to what, under which idempotency key.
#[derive(Clone)]
pub struct Mutation {
    pub family: usize,
    pub child: String,
    pub kind: Kind,
    pub path: String,
    pub token: String,
    pub key: String,
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

impl Mutation {
    /// A random mutation of a random child of a family still alive; `None` if none is.
    fn choose(world: &World, rng: &mut Rng) -> Option<Self> {
        let live: Vec<usize> = (0..world.families.len())
            .filter(|&index| !world.families[index].deletion.done())
            .collect();
        if live.is_empty() {
            return None;
        }
        let index = *pick(rng, &live);
        let family = &world.families[index];
        let child = pick(rng, &family.children).clone();
        let kind = *pick(rng, &Kind::ALL);
        let target = |kind: Kind| match kind {
            Kind::Task => ("tasks", &family.tasks, "activate"),
            Kind::Penalty => ("tasks", &family.penalties, "activate"),
            Kind::Request => ("rewards", &family.rewards, "request"),
            Kind::Redeem => ("rewards", &family.rewards, "redeem"),
            Kind::Cancel => ("rewards", &family.rewards, "cancel"),
        };
        let (collection, ids, verb) = target(kind);
        let path = format!("/children/{child}/{collection}/{}/{verb}", pick(rng, ids));
        Some(Self {
            family: index,
            child,
            kind,
            path,
            token: family.token.clone(),
            key: format!("crash-{:016x}", rng.u64(..)),
        })
    }
}

/// Sends mutations one after the other until the kill, recording every answer.
pub async fn writer(world: Shared, client: Rc<Client>, mut rng: Rng, round: usize) {
    loop {
        let mutation = {
            let world = world.borrow();
            if world.killing || world.stopping {
                return;
            }
            Mutation::choose(&world, &mut rng)
        };
        let Some(mutation) = mutation else { return };
        world.borrow_mut().ledger.sent += 1;
        let answer = client
            .post_keyed(&mutation.path, &mutation.token, &mutation.key)
            .await
            .map(|(status, body, _)| (status, body));
        if !record_answer(&mut world.borrow_mut(), &mutation, answer, round) {
            return;
        }
    }
}

/// Files one answer in the ledger; `false` when it was lost (the writer stops then).
fn record_answer(
    world: &mut World,
    mutation: &Mutation,
    answer: Result<(u16, Value), NoAnswer>,
    round: usize,
) -> bool {
    let killing = world.killing || world.outage;
    let outage = world.outage;
    let deleting = world.families[mutation.family].deletion != Deletion::None;
    let ledger = &mut world.ledger;
    let path = &mutation.path;
    match answer {
        Ok((200, body)) => record_event(ledger, mutation, &body, round),
        Ok((409, body))
            if mutation
                .kind
                .refusals()
                .contains(&body["error"]["code"].as_str().unwrap_or_default()) =>
        {
            ledger.refused += 1;
        }
        Ok((401 | 404, _)) if deleting => ledger.gone += 1,
        Ok((500.., _)) if outage => {
            ledger.outage_errors += 1;
            ledger.lost.push(mutation.clone());
            return false;
        }
        Ok((status, body)) => ledger.unexpected.push(format!(
            "round {round}: POST {path} answered {status}: {body}"
        )),
        Err(error) => {
            ledger.lost.push(mutation.clone());
            if !killing {
                ledger.unexpected.push(format!(
                    "round {round}: POST {path}: no answer while the server was up: {error}"
                ));
            }
            return false;
        }
    }
    true
}

/// After a restart: every request whose answer the kill took is sent again with its key. Each
/// gets an answer now: the first one replayed (the request had been performed), or the request
/// performed for the first time — either way it is settled, and the history must hold its event
/// exactly once. Only a request whose family was deleted meanwhile stays unsettled (`401`/`404`).
/// The retries go to `clients` in turn (servers sharing one store: not the one that lost the
/// answer, necessarily).
pub async fn retry_lost(world: &Shared, clients: &[&Client], round: usize) {
    let lost = std::mem::take(&mut world.borrow_mut().ledger.lost);
    for (at, mutation) in lost.into_iter().enumerate() {
        let client = clients[at % clients.len()];
        let answer = client
            .post_keyed(&mutation.path, &mutation.token, &mutation.key)
            .await;
        let mut world = world.borrow_mut();
        let deleting = world.families[mutation.family].deletion != Deletion::None;
        let ledger = &mut world.ledger;
        let path = &mutation.path;
        match answer {
            Ok((200, body, replayed)) => {
                record_event(ledger, &mutation, &body, round);
                count_retry(ledger, replayed);
            }
            Ok((409, body, replayed))
                if mutation
                    .kind
                    .refusals()
                    .contains(&body["error"]["code"].as_str().unwrap_or_default()) =>
            {
                ledger.refused += 1;
                count_retry(ledger, replayed);
            }
            Ok((401 | 404, _, _)) if deleting => {
                *ledger.unanswered.entry(mutation.child.clone()).or_default() += 1;
                ledger.gone += 1;
            }
            Ok((status, body, _)) => ledger.unexpected.push(format!(
                "round {round}: retry of POST {path} (key {}) answered {status}: {body}",
                mutation.key
            )),
            Err(error) => ledger.unexpected.push(format!(
                "round {round}: retry of POST {path}: no answer while the server was up: {error}"
            )),
        }
    }
}

fn count_retry(ledger: &mut Ledger, replayed: bool) {
    if replayed {
        ledger.retries_replayed += 1;
    } else {
        ledger.retries_performed += 1;
    }
}

/// A 200: the event answered must be the mutation's, and its id new.
fn record_event(ledger: &mut Ledger, mutation: &Mutation, body: &Value, round: usize) {
    let path = &mutation.path;
    let event = body["tracking_event"].clone();
    let (entity_type, action) = mutation.kind.event();
    let id = event["id"].as_str().unwrap_or_default().to_owned();
    if event["child_id"] != mutation.child.as_str()
        || event["entity_type"] != entity_type
        || event["action"] != action
        || body["child"]["points"] != event["points_after"]
        || id.is_empty()
    {
        ledger.unexpected.push(format!(
            "round {round}: POST {path} answered 200 with another event: {body}"
        ));
    }
    let acked = Acked {
        event,
        family: mutation.family,
        round,
    };
    if ledger.acked.insert(id.clone(), acked).is_some() {
        ledger
            .unexpected
            .push(format!("round {round}: event id {id} answered twice"));
    }
}

/// Families with children, tasks, penalties and rewards (names with quotes and non-ASCII).
pub async fn create_families(client: &Client) -> Vec<Family> {
    let mut families = Vec::new();
    for index in 0..STABLE_FAMILIES + DOOMED_FAMILIES {
        let name = format!("Parent «{index}»");
        let body = json!({ "name": name });
        let (status, created) = client
            .call(Method::POST, "/admin/users", ADMIN, Some(body))
            .await;
        assert_eq!(status, 201, "setup: {created}");
        let user = created["user"]["id"].as_str().unwrap().to_owned();
        let token = created["token"].as_str().unwrap().to_owned();
        families.push(create_family_records(client, index, user, token).await);
    }
    families
}

async fn create_family_records(
    client: &Client,
    index: usize,
    user: String,
    token: String,
) -> Family {
    let mut children = Vec::new();
    for number in 0..CHILDREN_PER_FAMILY {
        let body = json!({ "name": format!("Sam \"{index}.{number}\" ✓") });
        children.push(client.create("/children", &token, body).await);
    }
    let task = |name: &str, points: u32, is_good: bool| json!({ "name": name, "points": points, "is_good": is_good });
    let reward = |name: &str, cost: u32| json!({ "name": name, "cost": cost });
    let mut tasks = Vec::new();
    for body in [
        task("Make bed", 3, true),
        task("Feed the cat 🐈 \"Mia\"", 5, true),
    ] {
        tasks.push(client.create("/tasks", &token, body).await);
    }
    let penalties = vec![
        client
            .create("/tasks", &token, task("Slammed the door", 2, false))
            .await,
    ];
    let mut rewards = Vec::new();
    for body in [reward("Ice cream 🍦", 4), reward("Cinema \\ night", 9)] {
        rewards.push(client.create("/rewards", &token, body).await);
    }
    Family {
        user,
        token,
        children,
        tasks,
        penalties,
        rewards,
        deletion: Deletion::None,
    }
}

/// `DELETE /admin/users/{id}`; `None` when the kill took the answer.
pub async fn delete_user(
    world: Shared,
    client: Rc<Client>,
    family: usize,
    round: usize,
) -> Option<u16> {
    let user = {
        let mut world = world.borrow_mut();
        world.families[family].deletion = Deletion::Sent;
        world.families[family].user.clone()
    };
    let path = format!("/admin/users/{user}");
    match client.send(Method::DELETE, &path, ADMIN, None).await {
        Ok((status, body)) => {
            assert!(
                status == 204,
                "round {round}: DELETE {path} answered {status}: {body}"
            );
            Some(status)
        }
        Err(error) => {
            assert!(
                world.borrow().killing,
                "round {round}: DELETE {path}: no answer while the server was up: {error}"
            );
            None
        }
    }
}
