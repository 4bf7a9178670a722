//! orgusers' control endpoints for the organization's state (`/_orgusers/…`): its clock, its
//! reset and its snapshots. The real API has none of them; against it these calls fail as
//! unknown URLs.

use orgusers_api::control::{Clock, ControlList, Reset, Snapshot, SnapshotDeleted};
use reqwest::Method;
use serde_json::json;

use crate::{Client, Error, segment};

const CLOCK: &str = "/_orgusers/clock";
const RESET: &str = "/_orgusers/reset";
const SNAPSHOTS: &str = "/_orgusers/snapshots";

fn encode(body: &serde_json::Value) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body)
        .map_err(|e| Error::Config(format!("cannot encode the request body: {e}")))
}

impl Client {
    fn control_url(&self, path: &str) -> String {
        format!("{}{path}", self.root_url())
    }

    /// The organization's clock (orgusers only).
    pub async fn clock(&self) -> Result<Clock, Error> {
        self.send_to(Method::GET, &self.control_url(CLOCK), None)
            .await
    }

    /// Freezes the organization's clock at `now` (Unix seconds), or returns it to real time
    /// with `None` (orgusers only).
    pub async fn set_clock(&self, now: Option<i64>) -> Result<Clock, Error> {
        let body = encode(&json!({ "now": now }))?;
        self.send_to(Method::POST, &self.control_url(CLOCK), Some(body))
            .await
    }

    /// Moves the organization's clock `seconds` ahead (orgusers only).
    pub async fn advance_clock(&self, seconds: i64) -> Result<Clock, Error> {
        let body = encode(&json!({ "advance_seconds": seconds }))?;
        self.send_to(Method::POST, &self.control_url(CLOCK), Some(body))
            .await
    }

    /// Empties the organization, its admin keys excepted (orgusers only).
    pub async fn reset(&self) -> Result<Reset, Error> {
        self.send_to(Method::POST, &self.control_url(RESET), None)
            .await
    }

    /// Saves the organization's state as `name`, replacing a snapshot of that name (orgusers
    /// only).
    pub async fn save_snapshot(&self, name: &str) -> Result<Snapshot, Error> {
        let body = encode(&json!({ "name": name }))?;
        self.send_to(Method::POST, &self.control_url(SNAPSHOTS), Some(body))
            .await
    }

    /// The organization's snapshots, oldest first (orgusers only).
    pub async fn snapshots(&self) -> Result<Vec<Snapshot>, Error> {
        let list: ControlList<Snapshot> = self
            .send_to(Method::GET, &self.control_url(SNAPSHOTS), None)
            .await?;
        Ok(list.data)
    }

    /// Makes the organization's state the snapshot's (orgusers only).
    pub async fn restore_snapshot(&self, name: &str) -> Result<Snapshot, Error> {
        let path = format!("{SNAPSHOTS}/{}/restore", segment(name));
        self.send_to(Method::POST, &self.control_url(&path), None)
            .await
    }

    /// Deletes a snapshot (orgusers only).
    pub async fn delete_snapshot(&self, name: &str) -> Result<SnapshotDeleted, Error> {
        let path = format!("{SNAPSHOTS}/{}", segment(name));
        self.send_to(Method::DELETE, &self.control_url(&path), None)
            .await
    }
}
