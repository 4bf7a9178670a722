//! `orgusers seed`: realistic users, the same for the same `--seed`.

use std::time::Instant;

use clap::Args;
use orgusers_store::{EmailAddress, ImportSource, ImportedUser, Role, UserId};

use crate::{OrgArgs, StoreArgs};

#[derive(Args, Debug)]
pub struct SeedArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    org: OrgArgs,
    /// How many users to add.
    #[arg(long)]
    count: usize,
    /// The same seed gives the same users (ids, names, emails, timestamps).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

const FIRST_NAMES: &[&str] = &[
    "Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger",
    "José", "Zoë", "Łukasz", "Søren", "Chloé", "Björn", "Ingrid", "Mateo", "Amélie", "Jürgen",
    "Siobhán", "Núria", "Dvořák", "Ömer", "Ayşe", "Þóra", "Ngozi", "Kwame", "Priya", "Arjun",
    "Mei", "Hiroshi", "Yuki", "Min-jun", "Olga", "Dmitri", "Fatima", "Omar", "Lucía", "Thiago",
];

const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "García",
    "Müller",
    "Kowalski",
    "Kierkegaard",
    "Lefèvre",
    "Johansson",
    "Nguyễn",
    "Ødegaard",
    "Ó Briain",
    "Çelik",
    "Yılmaz",
    "Šimůnek",
    "Okafor",
    "Mensah",
    "Sharma",
    "Iyer",
    "Chen",
    "Tanaka",
    "Sato",
    "Kim",
    "Ivanova",
    "Petrov",
    "Haddad",
    "Mansour",
    "Fernández",
    "Silva",
    "Santos",
    "Novák",
    "Andersen",
    "Weiß",
];

const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "corp.example",
    "mail.example.net",
    "exämple.de",
    "entreprise.example.fr",
];

const TECHNICAL_LEVELS: &[&str] = &["beginner", "intermediate", "advanced", "expert"];
const PERSONAS: &[&str] = &[
    "backend engineer",
    "frontend engineer",
    "data scientist",
    "ml engineer",
    "product manager",
    "researcher",
];

/// Unix seconds of 2022-01-01, where seeded histories start.
const HISTORY_START: i64 = 1_640_995_200;

fn pick<'a>(rng: &mut fastrand::Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

fn maybe(rng: &mut fastrand::Rng, percent: u8, items: &[&str]) -> Option<String> {
    (rng.u8(..100) < percent).then(|| pick(rng, items).to_owned())
}

/// The `index`-th user of seed `seed`. The first user of a seed is always an owner, so a seeded
/// organization has one.
fn seeded_user(rng: &mut fastrand::Rng, seed: u64, index: usize, added_at: i64) -> ImportedUser {
    let mut alnum = || rng.alphanumeric();
    let id = UserId::generate_with(&mut alnum);
    let first = pick(rng, FIRST_NAMES);
    let last = pick(rng, LAST_NAMES);
    let domain = pick(rng, DOMAINS);
    let local: String = format!("{first}.{last}")
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    // The index keeps emails unique within a seed, the seed across seeds.
    let email = match seed {
        0 => format!("{local}.{index}@{domain}"),
        s => format!("{local}.{s}.{index}@{domain}"),
    };
    let role = if index == 0 || rng.u8(..100) < 5 {
        Role::Owner
    } else {
        Role::Reader
    };
    let banned = rng.u8(..100) < 2;
    ImportedUser {
        line: index + 1,
        id: Some(id),
        added_at: Some(added_at),
        created: Some(added_at - i64::from(rng.u32(..86_400 * 30))),
        name: Some(format!("{first} {last}")),
        email: EmailAddress::parse(&email).ok(),
        role,
        is_default: index == 0,
        picture: None,
        enabled: Some(!banned),
        banned: Some(banned),
        banned_at: banned.then(|| added_at + i64::from(rng.u32(..86_400 * 90))),
        is_service_account: rng.u8(..100) < 3,
        is_scale_tier_authorized_purchaser: (rng.u8(..100) < 20).then(|| rng.bool()),
        is_scim_managed: rng.u8(..100) < 15,
        api_key_last_used_at: (rng.u8(..100) < 60)
            .then(|| added_at + i64::from(rng.u32(..86_400 * 180))),
        technical_level: maybe(rng, 70, TECHNICAL_LEVELS),
        developer_persona: maybe(rng, 60, PERSONAS),
        had_projects: false,
    }
}

/// The users of one seed, lazily: a million of them need not sit in memory.
fn seeded_users(count: usize, seed: u64) -> ImportSource {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut added_at = HISTORY_START + i64::from(rng.u32(..86_400));
    Box::new((0..count).map(move |index| {
        // Several users often share a second, as in a bulk invite; ties are ordered by id.
        added_at += i64::from(rng.u32(..120));
        Ok(seeded_user(&mut rng, seed, index, added_at))
    }))
}

pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    let org = args.org.write_target(store.as_ref()).await?;
    let started = Instant::now();
    let summary = store
        .import_users(&org, seeded_users(args.count, args.seed))
        .await?;
    eprintln!(
        "seeded {} users into {org} ({} created, {} replaced) in {:.2?}",
        args.count,
        summary.created,
        summary.replaced,
        started.elapsed()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(count: usize, seed: u64) -> Vec<ImportedUser> {
        seeded_users(count, seed).map(|r| r.unwrap()).collect()
    }

    #[test]
    fn same_seed_same_users() {
        assert_eq!(all(50, 7), all(50, 7));
        assert_ne!(all(5, 7)[0].id, all(5, 8)[0].id);
    }

    #[test]
    fn users_are_realistic() {
        let users = all(500, 0);
        assert_eq!(users[0].role, Role::Owner);
        assert!(users.iter().all(|u| u.email.is_some()));
        assert!(
            users
                .iter()
                .any(|u| u.email.as_ref().is_some_and(|e| !e.as_str().is_ascii()))
        );
        assert!(
            users
                .iter()
                .any(|u| u.email.as_ref().is_some_and(|e| e.as_str().is_ascii()))
        );
        let mut emails: Vec<_> = users
            .iter()
            .filter_map(|u| u.email.as_ref())
            .map(|e| e.folded())
            .collect();
        emails.sort_unstable();
        emails.dedup();
        assert_eq!(emails.len(), users.len());
        assert!(users.windows(2).all(|w| w[0].added_at <= w[1].added_at));
    }
}
