//! `orgusers seed`: realistic users, custom roles, groups, memberships, role assignments,
//! projects with their members, and invites, the same for the same `--seed` (invites' times are
//! reckoned back from the organization's clock at seeding, so that pending ones are pending).

use std::time::Instant;

use clap::Args;
use std::sync::{Arc, Mutex, PoisonError};

use orgusers_store::groups::GroupName;
use orgusers_store::ids::{ApiKeyId, GroupId, InviteId, ProjectId, RoleId, ServiceAccountId};
use orgusers_store::invites::InviteGrant;
use orgusers_store::project_keys::{KeyName, OwnerType};
use orgusers_store::projects::{ProjectName, ProjectRole};
use orgusers_store::roles::{Permissions, RoleName};
use orgusers_store::service_accounts::{ServiceAccountName, ServiceAccountRole};
use orgusers_store::transfer::{DirectoryItem, DirectoryLine};
use orgusers_store::{EmailAddress, ImportRecord, ImportSource, ImportedUser, Role, UserId};

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
fn seeded_users(count: usize, seed: u64) -> impl Iterator<Item = ImportedUser> + Send {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut added_at = HISTORY_START + i64::from(rng.u32(..86_400));
    (0..count).map(move |index| {
        // Several users often share a second, as in a bulk invite; ties are ordered by id.
        added_at += i64::from(rng.u32(..120));
        seeded_user(&mut rng, seed, index, added_at)
    })
}

/// Custom roles every seeded organization has, with their permissions.
const CUSTOM_ROLES: &[(&str, &[&str])] = &[
    (
        "Billing admins",
        &["api.organization.read", "api.usage.read"],
    ),
    (
        "Auditors",
        &["api.audit_logs.read", "api.users.read", "api.groups.read"],
    ),
    (
        "Group managers",
        &["api.groups.read", "api.groups.write", "api.users.read"],
    ),
    (
        "Project leads",
        &[
            "api.projects.read",
            "api.projects.write",
            "api.invites.write",
        ],
    ),
];

const TEAMS: &[&str] = &[
    "Engineering",
    "Research",
    "Support",
    "Sales",
    "Marketing",
    "Finance",
    "Legal",
    "Design",
    "Data",
    "Security",
    "Operations",
    "Platform",
    "Mobile",
    "Infrastructure",
    "Partnerships",
];

/// Groups of a seeded organization of `users`: one per 40 users, at least one, at most 250.
fn group_count(users: usize) -> usize {
    (users / 40).clamp(1, 250)
}

fn generated<T>(rng: &mut fastrand::Rng, prefix: &str, from: impl FnOnce(String) -> T) -> T {
    let tail: String = (0..24).map(|_| rng.alphanumeric()).collect();
    from(format!("{prefix}{tail}"))
}

/// The roles, groups, memberships and assignments of a seed whose users are `users`, from an
/// RNG of its own so that the users stay those of earlier versions. A few large groups and
/// many small ones; most users in one or two groups.
fn seeded_directory(users: &[String], seed: u64) -> Vec<DirectoryItem> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x6469_7265_6374_6f72);
    let mut items = Vec::new();
    let mut roles = Vec::new();
    // The same roles for every seed, so that seeding again replaces them instead of clashing
    // on their names.
    let mut role_ids = fastrand::Rng::with_seed(0x726f_6c65);
    for (name, permissions) in CUSTOM_ROLES {
        let id: RoleId = generated(&mut role_ids, RoleId::PREFIX, RoleId::from_stored);
        let (Ok(name), Ok(permissions)) = (
            RoleName::parse(name),
            Permissions::parse(
                &permissions
                    .iter()
                    .map(|p| (*p).to_owned())
                    .collect::<Vec<_>>(),
            ),
        ) else {
            continue;
        };
        roles.push(id.clone());
        items.push(DirectoryItem::Role {
            id,
            name,
            permissions,
            description: None,
            created_at: Some(HISTORY_START),
            updated_at: Some(HISTORY_START),
        });
    }
    let mut groups = Vec::new();
    for index in 0..group_count(users.len()) {
        let team = TEAMS[index % TEAMS.len()];
        let name = match index / TEAMS.len() {
            0 => team.to_owned(),
            n => format!("{team} {}", n + 1),
        };
        let id: GroupId = generated(&mut rng, GroupId::PREFIX, GroupId::from_stored);
        let Ok(name) = GroupName::parse(&name) else {
            continue;
        };
        groups.push(id.clone());
        items.push(DirectoryItem::Group {
            id,
            name,
            created_at: Some(HISTORY_START + index as i64 * 3_600),
        });
    }
    for (i, user) in users.iter().enumerate() {
        let memberships = match rng.u8(..100) {
            0..30 => 0,
            30..85 => 1,
            _ => 2,
        };
        let mut joined = Vec::new();
        for _ in 0..memberships {
            // Squaring skews towards the first groups: a few large ones, many small ones.
            let skewed = rng.f64() * rng.f64();
            let group = &groups[((skewed * groups.len() as f64) as usize).min(groups.len() - 1)];
            if !joined.contains(group) {
                joined.push(group.clone());
                items.push(DirectoryItem::GroupUser {
                    group: group.clone(),
                    user: user.clone(),
                    added_at: Some(HISTORY_START + i as i64 * 60),
                });
            }
        }
        if rng.u8(..100) < 2 {
            items.push(DirectoryItem::UserRole {
                user: user.clone(),
                role: roles[rng.usize(..roles.len())].clone(),
            });
        }
    }
    for (group, role) in groups.iter().zip(&roles) {
        items.push(DirectoryItem::GroupRole {
            group: group.clone(),
            role: role.clone(),
        });
    }
    items
}

/// Projects besides the Default one of a seeded organization of `users`: one per 25 users, at
/// least 2, at most 400.
fn project_count(users: usize) -> usize {
    (users / 25).clamp(2, 400)
}

const PRODUCTS: &[&str] = &[
    "Support assistant",
    "Search",
    "Batch evals",
    "Internal tools",
    "Docs bot",
    "Checkout",
    "Fraud review",
    "Translation",
    "Analytics",
    "Onboarding",
];

/// The projects of a seed whose users are `users`: the Default project under an id of the
/// seed (every user is in it already, as imported users are), then projects where a few are
/// large and most are small, and memberships that put most users in 1 to 3 projects. An RNG of
/// its own keeps the rest of the seed as it was.
fn seeded_projects(users: &[String], seed: u64) -> Vec<DirectoryItem> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x7072_6f6a_6563_7473);
    let mut items = Vec::new();
    let default = generated(&mut rng, ProjectId::PREFIX, ProjectId::from_stored);
    let project = |id: ProjectId, name: &str, created_at: i64, is_default: bool| {
        ProjectName::parse(name)
            .ok()
            .map(|name| DirectoryItem::Project {
                id,
                name,
                created_at: Some(created_at),
                archived_at: None,
                is_default,
                external_key_id: None,
                residency: None,
            })
    };
    items.extend(project(default, "Default project", HISTORY_START, true));
    let mut projects = Vec::new();
    for index in 0..project_count(users.len()) {
        let product = PRODUCTS[index % PRODUCTS.len()];
        let name = match index / PRODUCTS.len() {
            0 => product.to_owned(),
            n => format!("{product} {}", n + 1),
        };
        let id: ProjectId = generated(&mut rng, ProjectId::PREFIX, ProjectId::from_stored);
        projects.push((id.clone(), 0usize));
        items.extend(project(
            id,
            &name,
            HISTORY_START + index as i64 * 7_200,
            false,
        ));
    }
    for (i, user) in users.iter().enumerate() {
        let extra = match rng.u8(..100) {
            0..40 => 0,
            40..80 => 1,
            _ => 2,
        };
        let mut joined: Vec<usize> = Vec::new();
        for _ in 0..extra {
            let skewed = rng.f64() * rng.f64() * rng.f64();
            let index = ((skewed * projects.len() as f64) as usize).min(projects.len() - 1);
            if joined.contains(&index) {
                continue;
            }
            joined.push(index);
            let (project, members) = &mut projects[index];
            let role = if *members == 0 || rng.u8(..100) < 5 {
                ProjectRole::Owner
            } else {
                ProjectRole::Member
            };
            *members += 1;
            items.push(DirectoryItem::ProjectUser {
                project: project.clone(),
                user: user.clone(),
                role,
                added_at: Some(HISTORY_START + i as i64 * 60 + 30),
            });
            // Some members made a key of their own in the project.
            if rng.u8(..100) < 10 {
                let owner = (OwnerType::User, user.clone());
                items.extend(seeded_key(&mut rng, project, "sk-proj-", owner, i as i64));
            }
        }
    }
    // Service accounts in a third of the projects, each with its key.
    for (n, (project, _)) in projects.iter().enumerate() {
        if rng.u8(..100) >= 33 {
            continue;
        }
        for k in 0..rng.usize(1..=2) {
            let id: ServiceAccountId = generated(
                &mut rng,
                ServiceAccountId::PREFIX,
                ServiceAccountId::from_stored,
            );
            let Ok(name) = ServiceAccountName::parse(&format!(
                "{} bot {}",
                PRODUCTS[n % PRODUCTS.len()],
                k + 1
            )) else {
                continue;
            };
            items.push(DirectoryItem::ServiceAccount {
                project: project.clone(),
                id: id.clone(),
                name,
                role: ServiceAccountRole::Member,
                created_at: Some(HISTORY_START + n as i64 * 7_200 + 600),
            });
            let owner = (OwnerType::ServiceAccount, id.to_string());
            items.extend(seeded_key(
                &mut rng,
                project,
                "sk-svcacct-",
                owner,
                n as i64,
            ));
        }
    }
    items
}

/// A project API key of a seed: its secret is drawn and dropped at once, so the key is listed
/// (with its redacted value and hash) but opens nothing, as imported keys do.
fn seeded_key(
    rng: &mut fastrand::Rng,
    project: &ProjectId,
    prefix: &str,
    owner: (OwnerType, String),
    n: i64,
) -> Option<DirectoryItem> {
    let secret: String = (0..48).map(|_| rng.alphanumeric()).collect();
    let secret = format!("{prefix}{secret}");
    let name = KeyName::parse("Secret key").ok()?;
    Some(DirectoryItem::ProjectKey {
        project: project.clone(),
        id: generated(rng, ApiKeyId::PREFIX, ApiKeyId::from_stored),
        name,
        redacted_value: orgusers_store::project_keys::rules::redact(&secret),
        created_at: Some(HISTORY_START + n * 60 + 45),
        last_used_at: None,
        owner,
        value_sha256: Some(orgusers_store::AdminKey::presented(&secret).hash().0),
    })
}

/// What the invites of a seed need of one of its users: accepted invites are those of users.
#[derive(Debug, Clone)]
struct InvitedUser {
    id: String,
    email: EmailAddress,
    role: Role,
    added_at: i64,
}

const DAY: i64 = 86_400;

/// The invites of a seed of `users` whose directory so far is `directory`, reckoned back from
/// `now` (at most a day before the organization's time): per 50 users about one pending (sent
/// in the 6 days before `now`, so pending for at least a day after it), per 150
/// one expired (sent 8 to 60 days ago) and per 100 one accepted by one of the users (sent
/// shortly before the user was added). Most grant the Default project (no `projects`), some one
/// or two other active projects, a few none. An RNG of its own keeps the rest of the seed as
/// it was.
fn seeded_invites(
    users: &[InvitedUser],
    directory: &[DirectoryItem],
    seed: u64,
    now: i64,
) -> Vec<DirectoryItem> {
    if users.is_empty() {
        return Vec::new();
    }
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x696e_7669_7465_7321);
    let projects: Vec<&ProjectId> = directory
        .iter()
        .filter_map(|item| match item {
            DirectoryItem::Project {
                id,
                archived_at: None,
                is_default: false,
                ..
            } => Some(id),
            _ => None,
        })
        .collect();
    let grants = |rng: &mut fastrand::Rng| match rng.u8(..100) {
        0..60 => None,
        60..90 if !projects.is_empty() => {
            let mut chosen: Vec<InviteGrant> = Vec::new();
            for _ in 0..rng.usize(1..=2) {
                let project = projects[rng.usize(..projects.len())];
                if chosen.iter().all(|grant| grant.project_id != *project) {
                    chosen.push(InviteGrant {
                        project_id: project.clone(),
                        role: if rng.u8(..100) < 15 {
                            ProjectRole::Owner
                        } else {
                            ProjectRole::Member
                        },
                    });
                }
            }
            Some(chosen)
        }
        _ => Some(Vec::new()),
    };
    let mut items = Vec::new();
    let mut invite = |rng: &mut fastrand::Rng,
                      email: EmailAddress,
                      role: Role,
                      created_at: i64,
                      accepted_at: Option<i64>| {
        let projects = grants(rng);
        items.push(DirectoryItem::Invite {
            id: generated(rng, InviteId::PREFIX, InviteId::from_stored),
            email,
            role,
            created_at: Some(created_at),
            expires_at: None,
            accepted_at,
            projects,
        });
    };
    let newcomer = |rng: &mut fastrand::Rng, n: usize| {
        let first = pick(rng, FIRST_NAMES);
        let last = pick(rng, LAST_NAMES);
        let domain = pick(rng, DOMAINS);
        let local: String = format!("{first}.{last}")
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        // `invite` where users have their index: no user of any seed has this address.
        let email = match seed {
            0 => format!("{local}.invite{n}@{domain}"),
            s => format!("{local}.{s}.invite{n}@{domain}"),
        };
        EmailAddress::parse(&email).ok()
    };
    let role = |rng: &mut fastrand::Rng| {
        if rng.u8(..100) < 10 {
            Role::Owner
        } else {
            Role::Reader
        }
    };
    let pending = (users.len() / 50).max(1);
    let expired = (users.len() / 150).max(1);
    for n in 0..pending + expired {
        let sent_ago = if n < pending {
            i64::from(rng.u32(..6 * 86_400))
        } else {
            8 * DAY + i64::from(rng.u32(..52 * 86_400))
        };
        if let Some(email) = newcomer(&mut rng, n) {
            let role = role(&mut rng);
            invite(&mut rng, email, role, now - sent_ago, None);
        }
    }
    // Each by another user: an accepted invite's user holds its address.
    let mut chosen: Vec<usize> = Vec::new();
    for _ in 0..(users.len() / 100).max(1) {
        let index = rng.usize(..users.len());
        if chosen.contains(&index) {
            continue;
        }
        chosen.push(index);
        let user = &users[index];
        let waited = 3_600 + i64::from(rng.u32(..3 * 86_400));
        invite(
            &mut rng,
            user.email.clone(),
            user.role,
            user.added_at - waited,
            Some(user.added_at),
        );
    }
    items
}

/// Every record of one seed: its users, lazily, then the rest of its directory; invites are
/// reckoned back from `now` (at most a day before the organization's time).
fn seeded_records(count: usize, seed: u64, now: i64) -> ImportSource {
    let seen = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let collected = Arc::clone(&seen);
    let users = seeded_users(count, seed).map(move |user| {
        if let (Some(id), Some(email), Some(added_at)) = (&user.id, &user.email, user.added_at) {
            collected
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(InvitedUser {
                    id: id.as_str().to_owned(),
                    email: email.clone(),
                    role: user.role,
                    added_at,
                });
        }
        Ok(ImportRecord::User(Box::new(user)))
    });
    let directory = std::iter::once(()).flat_map(move |()| {
        let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(PoisonError::into_inner));
        let users: Vec<String> = seen.iter().map(|user| user.id.clone()).collect();
        let mut directory = seeded_directory(&users, seed);
        directory.extend(seeded_projects(&users, seed));
        let invites = seeded_invites(&seen, &directory, seed, now);
        directory.extend(invites);
        directory.into_iter().enumerate().map(move |(i, item)| {
            Ok(ImportRecord::Directory(DirectoryLine {
                line: count + i + 1,
                item,
            }))
        })
    });
    Box::new(users.chain(directory))
}

pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    let org = args.org.write_target(store.as_ref()).await?;
    let started = Instant::now();
    // The organization must exist for its clock to be read (the import would create it).
    let org = store.ensure_organization(Some(&org)).await?;
    let now = store.clock(&org).await?.reading(orgusers_store::now());
    // Invites are reckoned back from the start of the clock's day, so that seeding twice the
    // same day gives the same invites; pending ones are sent at most 6 days before it, so
    // they are still pending at any moment of that day.
    let today = now - now.rem_euclid(DAY);
    let summary = store
        .import_users(&org, seeded_records(args.count, args.seed, today))
        .await?;
    let directory = summary.directory;
    eprintln!(
        "seeded {} users into {org} ({} created, {} replaced), {} roles, {} groups, {} memberships, {} role assignments, {} projects, {} project members, {} service accounts, {} project API keys, {} invites in {:.2?}",
        args.count,
        summary.created,
        summary.replaced,
        directory.roles,
        directory.groups,
        directory.memberships,
        directory.assignments,
        directory.projects,
        directory.project_members,
        directory.service_accounts,
        directory.project_keys,
        directory.invites,
        started.elapsed()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(count: usize, seed: u64) -> Vec<ImportedUser> {
        seeded_users(count, seed).collect()
    }

    #[test]
    fn directories_have_realistic_shapes() {
        let users: Vec<String> = all(2000, 3)
            .into_iter()
            .map(|u| u.id.unwrap().as_str().to_owned())
            .collect();
        let items = seeded_directory(&users, 3);
        assert_eq!(
            items,
            seeded_directory(&users, 3),
            "the same seed, the same directory"
        );
        let mut sizes = std::collections::HashMap::<String, usize>::new();
        let mut members = std::collections::HashMap::<&str, usize>::new();
        for item in &items {
            if let DirectoryItem::GroupUser { group, user, .. } = item {
                *sizes.entry(group.as_str().to_owned()).or_default() += 1;
                *members.entry(user).or_default() += 1;
            }
        }
        assert!(
            sizes.len() * 10 >= group_count(2000) * 9,
            "nearly every group has members"
        );
        let largest = sizes.values().max().copied().unwrap_or(0);
        let smallest = sizes.values().min().copied().unwrap_or(0);
        assert!(largest > 4 * smallest.max(1), "{largest} vs {smallest}");
        // Most users in one or two groups, none in more.
        assert!(members.len() > users.len() / 2 && members.len() < users.len());
        assert!(members.values().all(|n| (1..=2).contains(n)));
        let records: Vec<_> = seeded_records(50, 3, HISTORY_START + 86_400 * 800).collect();
        assert!(matches!(
            records.last(),
            Some(Ok(ImportRecord::Directory(_)))
        ));
    }

    #[test]
    fn projects_have_realistic_shapes() {
        let users: Vec<String> = all(2000, 5)
            .into_iter()
            .map(|u| u.id.unwrap().as_str().to_owned())
            .collect();
        let items = seeded_projects(&users, 5);
        assert_eq!(items, seeded_projects(&users, 5));
        let defaults = items
            .iter()
            .filter(|item| {
                matches!(
                    item,
                    DirectoryItem::Project {
                        is_default: true,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(defaults, 1, "one Default project line");
        let mut sizes = std::collections::HashMap::<String, usize>::new();
        let mut extra = std::collections::HashMap::<&str, usize>::new();
        for item in &items {
            if let DirectoryItem::ProjectUser { project, user, .. } = item {
                *sizes.entry(project.as_str().to_owned()).or_default() += 1;
                *extra.entry(user).or_default() += 1;
            }
        }
        let accounts = items
            .iter()
            .filter(|item| matches!(item, DirectoryItem::ServiceAccount { .. }))
            .count();
        let keys = items
            .iter()
            .filter(|item| matches!(item, DirectoryItem::ProjectKey { .. }))
            .count();
        assert!(
            accounts > 10 && keys > accounts,
            "{accounts} accounts, {keys} keys"
        );
        // Every user is in the Default project too: 1 to 3 projects each.
        assert!(extra.values().all(|n| (1..=2).contains(n)));
        assert!(extra.len() > users.len() / 2, "most users in more than one");
        let largest = sizes.values().max().copied().unwrap_or(0);
        let median = {
            let mut all: Vec<usize> = sizes.values().copied().collect();
            all.sort_unstable();
            all[all.len() / 2]
        };
        assert!(largest > 5 * median.max(1), "{largest} vs median {median}");
    }

    #[test]
    fn invites_have_realistic_shapes() {
        let now = HISTORY_START + 800 * DAY;
        let users: Vec<InvitedUser> = all(1000, 4)
            .into_iter()
            .map(|u| InvitedUser {
                id: u.id.unwrap().as_str().to_owned(),
                email: u.email.unwrap(),
                role: u.role,
                added_at: u.added_at.unwrap(),
            })
            .collect();
        let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
        let projects = seeded_projects(&ids, 4);
        let invites = seeded_invites(&users, &projects, 4, now);
        assert_eq!(invites, seeded_invites(&users, &projects, 4, now));
        let (mut pending, mut expired, mut accepted, mut granting) = (0, 0, 0, 0);
        for item in &invites {
            let DirectoryItem::Invite {
                email,
                created_at: Some(created_at),
                accepted_at,
                projects,
                ..
            } = item
            else {
                panic!("not an invite: {item:?}");
            };
            let user = users.iter().find(|u| u.email.folded() == email.folded());
            match accepted_at {
                Some(at) => {
                    accepted += 1;
                    assert_eq!(user.map(|u| u.added_at), Some(*at), "a user accepted it");
                    assert!(created_at < at && at - created_at < 7 * DAY);
                }
                None => {
                    assert!(user.is_none(), "nobody has a pending address: {email:?}");
                    if now - created_at < 7 * DAY {
                        pending += 1;
                    } else {
                        expired += 1;
                    }
                }
            }
            if projects.as_ref().is_some_and(|p| !p.is_empty()) {
                granting += 1;
            }
        }
        assert_eq!((pending, expired), (20, 6));
        assert!((5..=10).contains(&accepted), "{accepted}");
        assert!(granting > 0);
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
