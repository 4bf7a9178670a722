//! `orgusers admin-keys …`: the organization's admin API keys over HTTP
//! (`/organization/admin_api_keys`), against orgusers or the real API. `orgusers keys` manages
//! the same keys of a local store directly.

use clap::{Args, Subcommand};
use orgusers_api::admin_api_keys::{AdminApiKey, AdminApiKeyCreateRequest, AdminApiKeyCreated};
use orgusers_client::{AdminApiKeyListParams, Order};

use crate::output::{self, Column, Fit, Format, Record};
use crate::projects::{date_or_dash, time_or_empty};
use crate::remote::{self, ApiArgs, FirstLastArgs, OrderArg};

#[derive(Args, Debug)]
pub struct AdminKeysArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: AdminKeysCommand,
}

#[derive(Subcommand, Debug)]
enum AdminKeysCommand {
    /// List the organization's admin keys: one page, or every page with --all.
    List {
        #[command(flatten)]
        page: FirstLastArgs,
        /// Oldest (asc, the server's default) or newest (desc) first.
        #[arg(long, value_enum)]
        order: Option<OrderArg>,
    },
    /// Create an admin key; its value is printed this once.
    Create {
        /// The key's name.
        name: String,
        /// Seconds until the key expires (1 to 31536000); without it the key does not expire.
        #[arg(long, value_name = "SECONDS")]
        expires_in: Option<i64>,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Show one admin key, its value redacted.
    Get {
        #[arg(value_name = "KEY_ID")]
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Delete (revoke) an admin key (asks first on a terminal, unless --yes).
    Delete {
        #[arg(value_name = "KEY_ID")]
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(args: AdminKeysArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let keys = client.admin_api_keys();
    match args.command {
        AdminKeysCommand::List { page, order } => {
            let first = page.params();
            let params = AdminApiKeyListParams {
                limit: first.limit,
                after: first.after,
                order: order.map(|order| match order {
                    OrderArg::Asc => Order::Asc,
                    OrderArg::Desc => Order::Desc,
                }),
            };
            page.print(keys.list(&params), keys.list_all(params.clone()))
                .await?;
        }
        AdminKeysCommand::Create {
            name,
            expires_in,
            format,
        } => {
            let request = AdminApiKeyCreateRequest {
                name,
                expires_in_seconds: expires_in,
            };
            output::print_one(&keys.create(&request).await?, format)?;
        }
        AdminKeysCommand::Get { id, format } => {
            output::print_one(&keys.retrieve(&id).await?, format)?;
        }
        AdminKeysCommand::Delete { id, yes } => {
            if !yes && !remote::confirm(&format!("delete admin key {id}"), true)? {
                anyhow::bail!("not deleted");
            }
            let deleted = keys.delete(&id).await?;
            println!("deleted {}", deleted.id);
        }
    }
    Ok(())
}

impl Record for AdminApiKey {
    const NOUN: &'static str = "admin keys";
    /// Ids are never cut; the dates go before the name when the row runs short.
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("REDACTED", Fit::Whole),
        Column::new("CREATED", Fit::Optional),
        Column::new("EXPIRES", Fit::Optional),
        Column::new("LAST USED", Fit::Optional),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "name",
        "redacted_value",
        "created_at",
        "expires_at",
        "last_used_at",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.redacted_value.clone(),
            output::date(self.created_at),
            date_or_dash(self.expires_at),
            date_or_dash(self.last_used_at),
            self.name.clone().unwrap_or_default(),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone().unwrap_or_default(),
            self.redacted_value.clone(),
            self.created_at.to_string(),
            time_or_empty(self.expires_at),
            time_or_empty(self.last_used_at),
        ]
    }
}

/// A new key, with the value that nothing shows again: every format carries it.
impl Record for AdminApiKeyCreated {
    const NOUN: &'static str = "admin keys";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("VALUE", Fit::Whole),
        Column::new("EXPIRES", Fit::Optional),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] =
        &["id", "name", "value", "created_at", "expires_at"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.key.id.clone(),
            self.value.clone(),
            date_or_dash(self.key.expires_at),
            self.key.name.clone().unwrap_or_default(),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.key.id.clone(),
            self.key.name.clone().unwrap_or_default(),
            self.value.clone(),
            self.key.created_at.to_string(),
            time_or_empty(self.key.expires_at),
        ]
    }
}
