//! Prints every user of the organization, one per line.
//!
//! ```sh
//! OPENAI_BASE_URL=http://127.0.0.1:8080/v1 OPENAI_ADMIN_KEY=sk-admin-… \
//!     cargo run -p orgusers-client --example list_users
//! ```

use futures_util::TryStreamExt;
use orgusers_client::{Client, ListParams};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), orgusers_client::Error> {
    let client = Client::from_env()?;
    let params = ListParams {
        limit: Some(100),
        ..ListParams::default()
    };
    let mut users = std::pin::pin!(client.users().list_all(params));
    while let Some(user) = users.try_next().await? {
        println!(
            "{}\t{}\t{}",
            user.id,
            user.email.as_deref().unwrap_or("-"),
            user.role.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}
