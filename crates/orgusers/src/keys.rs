//! `orgusers keys create|list|revoke`.

use std::time::{Duration, UNIX_EPOCH};

use clap::{Args, Subcommand};
use orgusers_store::keys::owner_named;
use orgusers_store::{AdminKey, StoreError};

use crate::{OrgArgs, StoreArgs};

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create an admin key; the key is printed once, alone on the last line.
    Create(CreateArgs),
    /// List keys: id, name, organization, creation time, last four characters.
    List(ListArgs),
    /// Revoke a key by id; running servers stop accepting it within a second.
    Revoke(RevokeArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    org: OrgArgs,
    /// A name to recognise the key by.
    #[arg(long, default_value = "admin key")]
    name: String,
    /// The user of the organization who owns the key, by id or email: the key's `owner`, and
    /// the actor's user of the audit log entries its changes write. None by default.
    #[arg(long, value_name = "USER")]
    owner: Option<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The key id (key_…), as `keys list` shows it.
    key_id: String,
}

fn rfc3339(unix: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()
}

pub async fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create(args) => {
            let store = args.store.open().await?;
            let org = store
                .ensure_organization(args.org.parsed()?.as_ref())
                .await?;
            let owner = match &args.owner {
                None => None,
                Some(user) => match owner_named(store.as_ref(), &org, user).await {
                    Ok(id) => Some(id),
                    Err(StoreError::NotFound { .. }) => {
                        anyhow::bail!(
                            "--owner: organization {org} has no user with id or email {user:?}"
                        )
                    }
                    Err(e) => return Err(e.into()),
                },
            };
            let key = AdminKey::generate();
            let info = store
                .create_key(&org, &args.name, &key, owner.as_deref())
                .await?;
            match &owner {
                Some(owner) => println!(
                    "created {} ({}) for {}, owned by {owner}",
                    info.id, info.name, info.org
                ),
                None => println!("created {} ({}) for {}", info.id, info.name, info.org),
            }
            println!("{}", key.expose());
        }
        KeysCommand::List(args) => {
            let store = args.store.open().await?;
            for key in store.list_keys().await? {
                let status = match key.revoked_at {
                    Some(at) => format!("revoked {}", rfc3339(at)),
                    None => "active".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t…{}\t{}",
                    key.id,
                    key.name,
                    key.org,
                    rfc3339(key.created_at),
                    key.last4,
                    status
                );
            }
        }
        KeysCommand::Revoke(args) => {
            let store = args.store.open().await?;
            if !store.revoke_key(&args.key_id).await? {
                anyhow::bail!("no admin key with id {}", args.key_id);
            }
            println!("revoked {}", args.key_id);
        }
    }
    Ok(())
}
