//! Nothing is lost: a server killed (SIGKILL) under concurrent writes leaves, for every change it
//! acknowledged, the change and exactly one audit entry, and for every change it committed
//! without answering, the same: the change and its entry are one transaction.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::harness::*;

const CRASH_KEY: &str = "sk-admin-crash-test-key-0123456789";
/// Acknowledged creations after which the server is killed, with requests still in flight.
const KILL_AFTER: usize = 150;
const WRITERS: usize = 8;

on_fresh_stores!(a_killed_server_keeps_one_entry_per_change);

/// Every item of a list, following `last_id` (first/last lists) or `next` (cursor lists).
async fn walk(base: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let separator = if path.contains('?') { '&' } else { '?' };
        let page = match &after {
            Some(id) => format!("{path}{separator}limit=100&after={id}"),
            None => format!("{path}{separator}limit=100"),
        };
        let (status, body) = http_get(base, &page, CRASH_KEY).await;
        assert_eq!(status, 200, "{body}");
        let data = body["data"].as_array().unwrap();
        items.extend(data.iter().cloned());
        if body["has_more"] != true {
            return items;
        }
        let cursor = body.get("next").unwrap_or(&body["last_id"]);
        after = Some(cursor.as_str().expect("a cursor while has_more").to_owned());
    }
    panic!("{path} did not end within 1000 pages");
}

async fn a_killed_server_keeps_one_entry_per_change(store: TestStore) {
    let server = ServerProcess::start(&store.url, &["--admin-key", CRASH_KEY]);
    let base = server.base.clone();
    let server = Arc::new(Mutex::new(Some(server)));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    orgusers_client::install_tls_provider();
    let client = reqwest::Client::new();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (client, base) = (client.clone(), base.clone());
            let (server, acknowledged, answered) = (
                Arc::clone(&server),
                Arc::clone(&acknowledged),
                Arc::clone(&answered),
            );
            tokio::spawn(async move {
                for i in 0.. {
                    let sent = client
                        .post(format!("{base}/v1/organization/groups"))
                        .bearer_auth(CRASH_KEY)
                        .body(format!(r#"{{"name": "g-{writer}-{i}"}}"#))
                        .send()
                        .await;
                    // Once the server is gone, requests fail: this writer is done.
                    let Ok(response) = sent else { return };
                    if response.status() != 200 {
                        return;
                    }
                    let Ok(body) = response.json::<Value>().await else {
                        return;
                    };
                    acknowledged
                        .lock()
                        .unwrap()
                        .push(body["id"].as_str().unwrap().to_owned());
                    if answered.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                        // SIGKILL, while the other writers' requests are in flight.
                        drop(server.lock().unwrap().take());
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged: HashSet<String> = acknowledged.lock().unwrap().iter().cloned().collect();
    assert!(acknowledged.len() >= KILL_AFTER);

    let again = ServerProcess::start(&store.url, &["--admin-key", CRASH_KEY]);
    let groups: HashSet<String> = walk(&again.base, "/v1/organization/groups")
        .await
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    let missing: Vec<&String> = acknowledged.difference(&groups).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");

    let mut entries: HashMap<String, usize> = HashMap::new();
    for entry in walk(
        &again.base,
        "/v1/organization/audit_logs?event_types[]=group.created",
    )
    .await
    {
        let id = entry["group.created"]["id"].as_str().unwrap().to_owned();
        *entries.entry(id).or_default() += 1;
    }
    let twice: Vec<(&String, &usize)> = entries.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "entries not one per change: {twice:?}");
    let entry_ids: HashSet<String> = entries.into_keys().collect();
    assert_eq!(
        entry_ids, groups,
        "every group that exists has its entry, and no entry names a group that does not"
    );
}
