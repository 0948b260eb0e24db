//! Buttons and agents declared in the configuration file are created or
//! updated in the store at start-up, owned by `admin`. A command that
//! breaks the command rules (restricted word, `sh -n`) is stored all the
//! same with a warning naming its key: running it then answers
//! INVALID_COMMAND, as the contract says, rather than the whole server
//! refusing to start over one button. Agents without an id are matched by
//! name on later starts.

use anyhow::Context;
use runbox_config::Settings;
use runbox_domain::{AgentRuntime, AgentSpec, ButtonSpec, Timestamp, UserName};
use runbox_engine::Engine;
use runbox_store::{NewCatalogItem, Store, StoreError};

/// The namespace of the ids of configured agents that have none.
const CONFIG_AGENTS: uuid::Uuid = uuid::uuid!("5f0c8a4e-8d1b-4c52-9a57-2f6f3b1d9e10");

pub async fn load_from_config(settings: &Settings, engine: &Engine) -> anyhow::Result<()> {
    load_buttons(settings, engine).await?;
    load_agents(settings, engine).await
}

async fn check(engine: &Engine, key: &str, command: &str) {
    match engine.check_command(command).await {
        Ok(Ok(())) => {}
        Ok(Err(invalid)) => {
            tracing::warn!("config file: {key}: invalid command ({invalid}): running it will fail with INVALID_COMMAND");
        }
        Err(failed) => tracing::warn!(error = %failed, "could not check the command of {key}"),
    }
}

/// Inserts the item, or replaces the body of the one already there.
async fn upsert(
    store: &dyn Store,
    kind: &str,
    id: &str,
    body: &serde_json::Value,
) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let admin = UserName::admin();
    match store
        .insert_item(NewCatalogItem {
            kind,
            id: Some(id),
            owner: &admin,
            body,
            now,
        })
        .await
    {
        Ok(_) => Ok(()),
        // Already there (an earlier start, or another node): the file wins.
        Err(StoreError::Conflict(_)) => {
            let before = store.get_item(kind, id).await?;
            store
                .update_item(kind, id, body, now)
                .await
                .with_context(|| format!("cannot update configured {kind} {id}"))?;
            // A schedule changed in the file counts from now, as one
            // changed through the API does (the old tick belongs to the
            // old schedule).
            if before.is_some_and(|item| item.body.get("schedule") != body.get("schedule")) {
                store.reset_tick(kind, id).await?;
            }
            Ok(())
        }
        Err(err) => Err(err).with_context(|| format!("cannot store configured {kind} {id}")),
    }
}

async fn load_agents(settings: &Settings, engine: &Engine) -> anyhow::Result<()> {
    let store = engine.store();
    let existing = store.list_items(runbox_domain::AgentSpec::KIND).await?;
    for (index, agent) in settings.agents.iter().enumerate() {
        if let AgentRuntime::Command { command } = &agent.runtime {
            check(engine, &format!("agents[{index}].command"), command).await;
        }
        let spec = AgentSpec {
            name: agent.name.clone(),
            description: agent.description.clone(),
            runtime: agent.runtime.clone(),
            priority: agent.priority,
            timeout: agent.timeout,
            env: text_env(&agent.env),
            network: agent.network.clone(),
        };
        let id = match &agent.id {
            Some(id) => id.clone(),
            None => existing
                .iter()
                .find(|item| {
                    item.owner == UserName::admin()
                        && item.body.get("name").and_then(|n| n.as_str())
                            == Some(agent.name.as_str())
                })
                .map(|item| item.id.clone())
                // Derived from the name, so nodes starting together on one
                // database agree on it instead of each adding a copy.
                .unwrap_or_else(|| {
                    uuid::Uuid::new_v5(&CONFIG_AGENTS, agent.name.as_bytes()).to_string()
                }),
        };
        upsert(
            store.as_ref(),
            runbox_domain::AgentSpec::KIND,
            &id,
            &serde_json::to_value(&spec)?,
        )
        .await?;
    }
    Ok(())
}

async fn load_buttons(settings: &Settings, engine: &Engine) -> anyhow::Result<()> {
    let store = engine.store();
    for (index, button) in settings.buttons.iter().enumerate() {
        check(
            engine,
            &format!("buttons[{index}].command"),
            &button.command,
        )
        .await;
        let spec = ButtonSpec {
            name: button.name.clone(),
            command: button.command.clone(),
            description: button.description.clone(),
            timeout: button.timeout,
            icon: button.icon.clone(),
            env: text_env(&button.env),
            network: button.network.clone(),
            schedule: button.schedule.clone(),
        };
        upsert(
            store.as_ref(),
            runbox_domain::ButtonSpec::KIND,
            &button.id,
            &serde_json::to_value(&spec)?,
        )
        .await?;
    }
    Ok(())
}

/// The configuration file's variables: texts only.
fn text_env(env: &std::collections::BTreeMap<String, String>) -> runbox_domain::Env {
    env.iter()
        .map(|(name, value)| (name.clone(), runbox_domain::EnvValue::Text(value.clone())))
        .collect()
}
