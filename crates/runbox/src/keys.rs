//! `runbox keys …`: key management straight on the store.

use anyhow::Context;
use runbox_config::Settings;
use runbox_domain::UserName;

use crate::cli::KeysAction;

pub async fn run(settings: &Settings, action: KeysAction) -> anyhow::Result<()> {
    crate::serve::prepare_data_dir(settings)?;
    let store = runbox_store::open(&settings.database_url)
        .await
        .context("cannot open the database")?;
    match action {
        KeysAction::Create { user, admin } => {
            let user = UserName::parse(&user)?;
            let (key, record) = runbox_api::admin::issue_key(store.as_ref(), user, admin).await?;
            eprintln!(
                "created key {} for user {}{}; it is shown only this once:",
                record.prefix,
                record.user,
                if admin { " (admin)" } else { "" }
            );
            println!("{key}");
        }
        KeysAction::List => {
            let mut table = format!("{:<10} {:<24} {:<6} CREATED\n", "PREFIX", "USER", "ADMIN");
            for key in store.list_keys().await? {
                table.push_str(&format!(
                    "{:<10} {:<24} {:<6} {}\n",
                    key.prefix, key.user, key.admin, key.created_at
                ));
            }
            // `runbox keys list | head -1` closes the pipe early: not an error.
            let _ = std::io::Write::write_all(&mut std::io::stdout(), table.as_bytes());
        }
        KeysAction::Revoke { prefix } => {
            if store.revoke_key(&prefix).await? {
                println!("revoked {prefix}");
            } else {
                anyhow::bail!("no key with prefix {prefix:?}");
            }
        }
    }
    Ok(())
}
