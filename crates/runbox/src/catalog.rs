//! Buttons (and later agents) declared in the configuration file are
//! created or updated in the store at start-up, owned by `admin`. A command
//! that breaks the button rules stops start-up, naming the button.

use anyhow::Context;
use runbox_config::Settings;
use runbox_domain::{ButtonSpec, Timestamp, UserName};
use runbox_engine::Engine;
use runbox_store::{NewCatalogItem, StoreError};

pub async fn load_from_config(settings: &Settings, engine: &Engine) -> anyhow::Result<()> {
    let store = engine.store();
    let admin = UserName::admin();
    for button in &settings.buttons {
        match engine.check_command(&button.command).await {
            Ok(Ok(())) => {}
            Ok(Err(invalid)) => anyhow::bail!(
                "config file: button {:?}: invalid command: {invalid}",
                button.id
            ),
            Err(failed) => {
                tracing::warn!(button = %button.id, error = %failed, "could not check the command of a configured button")
            }
        }
        let spec = ButtonSpec {
            name: button.name.clone(),
            command: button.command.clone(),
            description: button.description.clone(),
            timeout: button.timeout,
            icon: button.icon.clone(),
            env: button.env.clone(),
        };
        let body = serde_json::to_value(&spec)?;
        let now = Timestamp::now();
        let new = NewCatalogItem {
            kind: runbox_api::buttons::KIND,
            id: Some(&button.id),
            owner: &admin,
            body: &body,
            now,
        };
        match store.insert_item(new).await {
            Ok(_) => {}
            // Already there (an earlier start, or another node): the file wins.
            Err(StoreError::Conflict(_)) => {
                store
                    .update_item(runbox_api::buttons::KIND, &button.id, &body, now)
                    .await
                    .context("cannot update a configured button")?;
            }
            Err(err) => return Err(err).context("cannot store a configured button"),
        }
    }
    Ok(())
}
