//! The demo family of `fixtures/demo_family.json`, loaded on request so a new user sees something at once.

use std::collections::HashMap;

use anyhow::{Context, bail};
use serde::Deserialize;
use tracking_api::{Tracker, hash_token, new_token};
use tracking_model::{CreateChild, CreateReward, CreateTask, Timestamp, User, UserId};
use tracking_store::ActionTarget;

const DEMO_FAMILY: &str = include_str!("../../../fixtures/demo_family.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoFamily {
    parent: String,
    children: Vec<String>,
    tasks: Vec<CreateTask>,
    rewards: Vec<CreateReward>,
    history: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    child: String,
    #[serde(default)]
    activate: Option<String>,
    #[serde(default)]
    request: Option<String>,
    #[serde(default)]
    redeem: Option<String>,
    #[serde(default)]
    cancel: Option<String>,
}

/// Creates the demo family with its history, unless the store already has users. Returns the
/// demo parent's token when it was created.
pub async fn load(tracker: &Tracker) -> anyhow::Result<Option<String>> {
    if !tracker.family().list_users().await?.is_empty() {
        return Ok(None);
    }
    let demo: DemoFamily =
        serde_json::from_str(DEMO_FAMILY).context("fixtures/demo_family.json")?;
    let family = tracker.family();
    let now = Timestamp::now();
    let user = User {
        id: UserId::generate(),
        name: demo.parent,
        created_at: now,
    };
    let token = new_token();
    family.create_user(&user, &hash_token(&token)).await?;

    let mut children = HashMap::new();
    for name in demo.children {
        let child = CreateChild { name }.into_child(user.id, now);
        family.create_child(&child).await?;
        children.insert(child.name.clone(), child.id);
    }
    let mut tasks = HashMap::new();
    for body in demo.tasks {
        let task = body.into_task(user.id, now);
        family.create_task(&task).await?;
        tasks.insert(task.name.clone(), task.id);
    }
    let mut rewards = HashMap::new();
    for body in demo.rewards {
        let reward = body.into_reward(user.id, now);
        family.create_reward(&reward).await?;
        rewards.insert(reward.name.clone(), reward.id);
    }
    for step in demo.history {
        let child = *children
            .get(&step.child)
            .with_context(|| format!("no demo child {}", step.child))?;
        let reward = |name: &String| {
            rewards
                .get(name)
                .copied()
                .with_context(|| format!("no demo reward {name}"))
        };
        let target = match (&step.activate, &step.request, &step.redeem, &step.cancel) {
            (Some(task), None, None, None) => ActionTarget::Activate(
                *tasks
                    .get(task)
                    .with_context(|| format!("no demo task {task}"))?,
            ),
            (None, Some(name), None, None) => ActionTarget::Request(reward(name)?),
            (None, None, Some(name), None) => ActionTarget::Redeem(reward(name)?),
            (None, None, None, Some(name)) => ActionTarget::Cancel(reward(name)?),
            _ => bail!("a demo history step names exactly one action"),
        };
        tracker.record(user.id, child, target).await?;
    }
    Ok(Some(token))
}
