//! Queue administration: rare calls, so they cross as JSON text; the data path uses `codec`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};
use sluice_core::broker::{self, Broker, CreateError, CreateQueue, MoveTaskError, PurgeError, QueueError, StartMove};
use sluice_core::limits::MOVE_TASK_MESSAGES_PER_S_MAX;
use sluice_core::move_task::MoveTask;
use sluice_core::queue::{QueueConfig, Redrive};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    fifo: bool,
    visibility_timeout_s: u32,
    delay_s: u32,
    retention_s: u32,
    maximum_message_bytes: u32,
    receive_wait_s: u32,
    content_based_dedup: bool,
    dedup_per_group: bool,
    redrive: Option<RedriveJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RedriveJson {
    dead_letter_key: String,
    max_receive_count: u32,
}

impl From<Config> for QueueConfig {
    fn from(c: Config) -> Self {
        Self {
            fifo: c.fifo,
            visibility_timeout_s: c.visibility_timeout_s,
            delay_s: c.delay_s,
            retention_s: c.retention_s,
            maximum_message_bytes: c.maximum_message_bytes,
            receive_wait_s: c.receive_wait_s,
            content_based_dedup: c.content_based_dedup,
            dedup_per_group: c.dedup_per_group,
            redrive: c.redrive.map(|r| Redrive { dead_letter_key: r.dead_letter_key.into(), max_receive_count: r.max_receive_count }),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(default)]
    account: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    arn: String,
    #[serde(default)]
    prefix: String,
    config: Option<Config>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    given: Vec<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    remove: Vec<String>,
    /// A move task's destination queue key (empty: each message back to its source queue).
    #[serde(default)]
    destination: String,
    #[serde(default)]
    destination_arn: String,
    rate: Option<u32>,
    task: Option<u64>,
}

fn err(code: &str) -> Value {
    json!({ "error": code })
}

fn missing(e: QueueError) -> Value {
    match e {
        QueueError::DoesNotExist => err("QueueDoesNotExist"),
        QueueError::Storage => err("Storage"),
    }
}

fn move_task_error(e: MoveTaskError) -> Value {
    err(match e {
        MoveTaskError::SourceMissing => "QueueDoesNotExist",
        MoveTaskError::DestinationMissing => "DestinationDoesNotExist",
        MoveTaskError::Running => "MoveTaskRunning",
        MoveTaskError::NotFound => "MoveTaskNotFound",
        MoveTaskError::Storage => "Storage",
    })
}

fn move_task_json(t: &MoveTask) -> Value {
    json!({
        "id": t.id,
        "sourceArn": t.source_arn,
        "destinationArn": t.destination_arn,
        "rate": t.rate,
        "status": t.status.as_str(),
        "moved": t.moved,
        "toMove": t.to_move,
        "startedMs": t.started_ms,
        "failureReason": t.failure_reason,
    })
}

/// `lsn`: the answer waits until the log is durable up to it.
fn done(lsn: u64) -> Value {
    json!({ "lsn": lsn })
}

/// Runs one admin operation; the answer is JSON with either results or `{"error": CODE}`.
pub fn run(b: &Arc<Broker>, op: &str, request: &str) -> Result<Value, String> {
    let r: Request = serde_json::from_str(request).map_err(|e| format!("bad admin request: {e}"))?;
    let out = match op {
        "create" => {
            let config = r.config.ok_or("create needs config")?.into();
            let c = CreateQueue { account: &r.account, name: &r.name, arn: &r.arn, config, attributes: r.attributes, given: r.given, tags: r.tags };
            match b.create_queue(c) {
                Ok((id, created, lsn)) => json!({ "id": id, "created": created, "lsn": lsn }),
                Err(CreateError::AlreadyExists) => err("QueueAlreadyExists"),
                Err(CreateError::DeletedRecently) => err("QueueDeletedRecently"),
                Err(CreateError::TooMany) => err("OverLimit"),
                Err(CreateError::Storage) => err("Storage"),
            }
        }
        "info" => match b.queue_info(&r.key) {
            Ok(i) => json!({
                "id": i.id,
                "attributes": i.attributes,
                "visible": i.counts.visible,
                "inflight": i.counts.inflight,
                "delayed": i.counts.delayed,
                "oldestSentMs": i.counts.oldest_sent_ms,
                "createdMs": i.created_ms,
                "modifiedMs": i.modified_ms,
                "fifo": i.config.fifo,
            }),
            Err(e) => missing(e),
        },
        "set" => {
            let config = r.config.ok_or("set needs config")?.into();
            b.set_attributes(&r.key, r.attributes, config).map_or_else(missing, done)
        }
        "delete" => b.delete_queue(&r.key).map_or_else(missing, done),
        "list" => json!({ "names": b.list_queues(&r.account, &r.prefix) }),
        "purge" => match b.purge(&r.key) {
            Ok((n, lsn)) => json!({ "purged": n, "lsn": lsn }),
            Err(PurgeError::DoesNotExist) => err("QueueDoesNotExist"),
            Err(PurgeError::InProgress) => err("PurgeQueueInProgress"),
            Err(PurgeError::Storage) => err("Storage"),
        },
        "tags" => b.tags(&r.key).map_or_else(missing, |t| json!({ "tags": t })),
        "tag" => b.set_tags(&r.key, r.tags, &r.remove).map_or_else(missing, done),
        "deadLetterSources" => json!({ "keys": b.dead_letter_sources(&r.key) }),
        "key" => json!({ "key": broker::key(&r.account, &r.name) }),
        "moveTaskStart" => {
            if r.rate.is_some_and(|n| n == 0 || n as usize > MOVE_TASK_MESSAGES_PER_S_MAX) {
                return Err(format!("move task rate out of range: {:?}", r.rate));
            }
            let s = StartMove {
                source_key: &r.key,
                source_arn: &r.arn,
                destination_key: (!r.destination.is_empty()).then_some(r.destination.as_str()),
                destination_arn: (!r.destination_arn.is_empty()).then_some(r.destination_arn.as_str()),
                rate: r.rate,
            };
            b.start_move_task(&s).map_or_else(move_task_error, |(id, lsn)| json!({ "id": id, "lsn": lsn }))
        }
        "moveTasks" => b.move_tasks(&r.key).map_or_else(missing, |ts| json!({ "tasks": ts.iter().map(move_task_json).collect::<Vec<_>>() })),
        "moveTaskCancel" => {
            let id = r.task.ok_or("moveTaskCancel needs task")?;
            b.cancel_move_task(&r.key, id).map_or_else(move_task_error, |(moved, lsn)| json!({ "moved": moved, "lsn": lsn }))
        }
        _ => return Err(format!("unknown admin op {op}")),
    };
    Ok(out)
}
