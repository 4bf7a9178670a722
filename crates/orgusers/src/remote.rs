//! What the commands that talk to an API server share: the connection options, the options of
//! the cursor-style and the first/last lists, and the confirmation of what cannot be taken back.

use std::future::Future;
use std::io::{self, BufRead, IsTerminal, Write};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use futures_util::Stream;
use orgusers_api::list::{FirstList, NextList};
use orgusers_client::{Client, DEFAULT_BASE_URL, FirstLastParams, Order, PageParams};

use crate::output::{self, Format, Record};

/// `--base-url` and `--admin-key`, read from the environment as the official SDKs do.
#[derive(Args, Debug)]
pub struct ApiArgs {
    /// The API's base URL, ending in /v1.
    #[arg(long, env = "OPENAI_BASE_URL", default_value = DEFAULT_BASE_URL, global = true)]
    base_url: String,
    /// An admin API key.
    #[arg(long, env = "OPENAI_ADMIN_KEY", hide_env_values = true, global = true)]
    admin_key: Option<String>,
}

impl ApiArgs {
    /// A client of the server with the key.
    pub fn client(self) -> anyhow::Result<Client> {
        let key = self
            .admin_key
            .filter(|k| !k.is_empty())
            .context("an admin key is required: pass --admin-key or set OPENAI_ADMIN_KEY")?;
        Ok(Client::builder(&self.base_url, key).build()?)
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderArg {
    /// Oldest first.
    Asc,
    /// Newest first.
    Desc,
}

/// The options of a cursor-style list (roles, groups, members, role assignments, project
/// groups), whose pages hold at most `MAX_LIMIT` items.
#[derive(Args, Debug)]
pub struct PageArgs<const MAX_LIMIT: i64 = 1000> {
    /// Page size, from 1 (the server's default and largest size depend on the list).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_LIMIT))]
    limit: Option<u32>,
    /// Oldest (asc) or newest (desc) first; the server's default depends on the list.
    #[arg(long, value_enum)]
    order: Option<OrderArg>,
    /// Start after this cursor: the `next` of a previous page.
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
    /// Every page, not just the first.
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

impl<const MAX_LIMIT: i64> PageArgs<MAX_LIMIT> {
    /// The request's parameters.
    pub fn params(&self) -> PageParams {
        PageParams {
            limit: self.limit,
            order: self.order.map(|order| match order {
                OrderArg::Asc => Order::Asc,
                OrderArg::Desc => Order::Desc,
            }),
            after: self.after.clone(),
        }
    }

    /// Prints the first page `page` fetches, or with `--all` every item of `every`. Neither
    /// sends a request unless it is awaited or read.
    pub async fn print<T: Record>(
        &self,
        page: impl Future<Output = Result<NextList<T>, orgusers_client::Error>>,
        every: impl Stream<Item = Result<T, orgusers_client::Error>>,
    ) -> anyhow::Result<()> {
        if self.all {
            return output::print_all(every, self.format).await;
        }
        let page = page.await?;
        let more = page.has_more.then(|| match &page.next {
            Some(next) => format!("--after {next} for the next page, --all for every page"),
            None => "--all lists every page".to_owned(),
        });
        output::print_page(&page.data, self.format, more)
    }
}

/// The options of a first/last list (projects, project users, service accounts, project API
/// keys): pages of ids, `after` the last id of the previous page.
#[derive(Args, Debug)]
pub struct FirstLastArgs {
    /// Page size, 1 to 100 (the server's default is 20).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub limit: Option<u32>,
    /// Start after this id: the last one of a previous page.
    #[arg(long, value_name = "ID")]
    pub after: Option<String>,
    /// Every page, not just the first.
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

impl FirstLastArgs {
    /// The request's parameters.
    pub fn params(&self) -> FirstLastParams {
        FirstLastParams {
            limit: self.limit,
            after: self.after.clone(),
        }
    }

    /// Prints the first page `page` fetches, or with `--all` every item of `every`. Neither
    /// sends a request unless it is awaited or read.
    pub async fn print<T: Record>(
        &self,
        page: impl Future<Output = Result<FirstList<T>, orgusers_client::Error>>,
        every: impl Stream<Item = Result<T, orgusers_client::Error>>,
    ) -> anyhow::Result<()> {
        if self.all {
            return output::print_all(every, self.format).await;
        }
        let page = page.await?;
        let more = page.has_more.then(|| match &page.last_id {
            Some(last) => format!("--after {last} for the next page, --all for every page"),
            None => "--all lists every page".to_owned(),
        });
        output::print_page(&page.data, self.format, more)
    }
}

/// Asks on the terminal whether to `action` ("delete role role_…"); refuses when there is no
/// terminal to ask on. `final_` says that it cannot be undone.
pub fn confirm(action: &str, final_: bool) -> anyhow::Result<bool> {
    if !io::stdin().is_terminal() {
        anyhow::bail!("refusing to {action} without --yes: standard input is not a terminal");
    }
    let mut question = action.to_owned();
    if let Some(first) = question.get(..1) {
        question.replace_range(..1, &first.to_uppercase());
    }
    let warning = if final_ {
        " This cannot be undone."
    } else {
        ""
    };
    eprint!("{question}?{warning} [y/N] ");
    io::stderr().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
