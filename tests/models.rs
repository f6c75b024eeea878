#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Wire-model tests: every JSON body of PROTOCOL.md §2–§5, decoded and
//! encoded, plus the captured real-manager answers in
//! `shared/fixtures/manager/`.
//!
//! The expected JSON literals are written from PROTOCOL.md, not from the
//! models: when the two disagree, the model is wrong.

use std::collections::BTreeSet;
use std::fmt::Debug;

use omni_connector::models::parse_timestamp;
use omni_connector::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Decodes `json` into `T`, panicking with the serde error.
fn decode<T: DeserializeOwned>(json: &Value) -> T {
    serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("cannot decode {}: {e}", std::any::type_name::<T>()))
}

/// Decodes `json` into `T`, returning the error text.
fn decode_err<T: DeserializeOwned + Debug>(json: &Value) -> String {
    match serde_json::from_value::<T>(json.clone()) {
        Ok(v) => panic!("{json} decoded into {v:?}, expected an error"),
        Err(e) => e.to_string(),
    }
}

/// Encodes `value` into a JSON value.
fn encode<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

/// Both directions: `json` decodes into `expected`, and `expected` encodes
/// into exactly `json` (`Value` equality: no extra key, no `null` for an
/// omitted field, same types).
fn both_ways<T>(json: Value, expected: &T)
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let decoded: T = decode(&json);
    assert_eq!(&decoded, expected, "decoding {json}");
    assert_eq!(encode(expected), json, "encoding {expected:?}");
    // And the encoding is itself a fixed point.
    let again: T = decode(&encode(expected));
    assert_eq!(&again, expected);
}

/// Inserts an unknown key into the object at each JSON pointer.
fn with_unknown(json: &Value, pointers: &[&str]) -> Value {
    let mut json = json.clone();
    for pointer in pointers {
        let object = json
            .pointer_mut(pointer)
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("no object at {pointer:?}"));
        object.insert(
            "zz_unknown_field".into(),
            json!({"from": "a newer manager", "n": [1, 2, 3]}),
        );
        object.insert("zz_unknown_null".into(), Value::Null);
    }
    json
}

/// Asserts that unknown keys at `pointers` change nothing in the decoding.
fn ignores_unknown<T>(json: &Value, pointers: &[&str])
where
    T: DeserializeOwned + PartialEq + Debug,
{
    let plain: T = decode(json);
    let noisy: T = decode(&with_unknown(json, pointers));
    assert_eq!(
        plain, noisy,
        "unknown fields changed the decoding of {json}"
    );
}

/// Sets the value at a JSON pointer (the parent object must exist).
fn set(json: &Value, pointer: &str, value: Value) -> Value {
    let mut json = json.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    json.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent:?}"))
        .insert(key.to_owned(), value);
    json
}

/// Removes the key at a JSON pointer.
fn remove(json: &Value, pointer: &str) -> Value {
    let mut json = json.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    json.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap()
        .remove(key)
        .unwrap_or_else(|| panic!("nothing at {pointer:?}"));
    json
}

/// A timestamp from text (a macro, so the test needs no chrono dependency).
macro_rules! ts {
    ($text:expr) => {
        parse_timestamp($text).unwrap_or_else(|e| panic!("{e}"))
    };
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn object(json: Value) -> serde_json::Map<String, Value> {
    match json {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

// ---------------------------------------------------------------------------
// 1. ConnectorEvent, every variant (PROTOCOL.md §5)
// ---------------------------------------------------------------------------

/// A document_created event as PROTOCOL.md §5 describes it, with every
/// metadata field set.
fn document_created_json() -> Value {
    json!({
        "type": "document_created",
        "sync_run_id": "run-1",
        "source_id": "src-1",
        "document_id": "issue-42",
        "content_id": "01J0CONTENT",
        "metadata": {
            "title": "Login fails on Safari",
            "author": "ada@example.com",
            "created_at": "2026-12-03T16:08:16Z",
            "updated_at": "2026-12-04T09:30:00.500Z",
            "content_type": "issue",
            "mime_type": "text/markdown",
            "size": "2048",
            "url": "https://tracker.example.com/42",
            "path": "tracker/web",
            "extra": {"labels": ["bug", "safari"], "votes": 3}
        },
        "permissions": {
            "public": false,
            "users": ["ada@example.com", "bob@example.com"],
            "groups": ["eng@example.com"]
        },
        "attributes": {"status": "open", "priority": 2}
    })
}

#[test]
fn event_document_created_both_ways() {
    let json = document_created_json();
    let event: ConnectorEvent = decode(&json);
    assert_eq!(event.event_type(), EventType::DocumentCreated);
    assert_eq!(event.sync_run_id(), "run-1");
    assert_eq!(event.source_id(), "src-1");
    assert_eq!(event.document_id(), Some("issue-42"));
    let ConnectorEvent::DocumentCreated {
        sync_run_id,
        source_id,
        document_id,
        content_id,
        metadata,
        permissions,
        attributes,
    } = &event
    else {
        panic!("not document_created: {event:?}")
    };
    assert_eq!(sync_run_id, "run-1");
    assert_eq!(source_id, "src-1");
    assert_eq!(document_id, "issue-42");
    assert_eq!(content_id, "01J0CONTENT");
    assert_eq!(metadata.title.as_deref(), Some("Login fails on Safari"));
    assert_eq!(metadata.author.as_deref(), Some("ada@example.com"));
    assert_eq!(
        metadata.created_at.map(|t| t.timestamp()),
        Some(1_796_314_096)
    );
    assert_eq!(
        metadata.updated_at.map(|t| t.timestamp_millis()),
        Some(ts!("2026-12-04T09:30:00Z").timestamp_millis() + 500)
    );
    assert_eq!(metadata.content_type.as_deref(), Some("issue"));
    assert_eq!(metadata.mime_type.as_deref(), Some("text/markdown"));
    assert_eq!(metadata.size.as_deref(), Some("2048"));
    assert_eq!(
        metadata.url.as_deref(),
        Some("https://tracker.example.com/42")
    );
    assert_eq!(metadata.path.as_deref(), Some("tracker/web"));
    assert_eq!(
        metadata.extra.clone().map(Value::Object),
        Some(json!({"labels": ["bug", "safari"], "votes": 3}))
    );
    assert!(!permissions.public);
    assert_eq!(
        permissions.users,
        strings(&["ada@example.com", "bob@example.com"])
    );
    assert_eq!(permissions.groups, strings(&["eng@example.com"]));
    assert_eq!(
        attributes.clone().map(Value::Object),
        Some(json!({"status": "open", "priority": 2}))
    );

    // Built with the public API, it encodes to exactly the same JSON.
    let built = ConnectorEvent::DocumentCreated {
        sync_run_id: "run-1".into(),
        source_id: "src-1".into(),
        document_id: "issue-42".into(),
        content_id: "01J0CONTENT".into(),
        metadata: DocumentMetadata::new()
            .title("Login fails on Safari")
            .author("ada@example.com")
            .created_at(ts!("2026-12-03T16:08:16Z"))
            .updated_at(ts!("2026-12-04T09:30:00.500Z"))
            .content_type("issue")
            .mime_type("text/markdown")
            .size(2048)
            .url("https://tracker.example.com/42")
            .path("tracker/web")
            .extra("labels", json!(["bug", "safari"]))
            .extra("votes", 3),
        permissions: DocumentPermissions::users(["ada@example.com", "bob@example.com"])
            .with_groups(["eng@example.com"]),
        attributes: Some(object(json!({"status": "open", "priority": 2}))),
    };
    both_ways(json.clone(), &built);
    // `size` goes out as a string, never a number.
    assert_eq!(encode(&built)["metadata"]["size"], json!("2048"));

    ignores_unknown::<ConnectorEvent>(&json, &["", "/metadata", "/permissions"]);
}

#[test]
fn event_document_created_minimal_is_exact() {
    // metadata is required but may be {}; permissions always carry all three
    // fields; attributes absent stays absent (not null).
    let json = json!({
        "type": "document_created",
        "sync_run_id": "r",
        "source_id": "s",
        "document_id": "d",
        "content_id": "c",
        "metadata": {},
        "permissions": {"public": true, "users": [], "groups": []}
    });
    let event = ConnectorEvent::DocumentCreated {
        sync_run_id: "r".into(),
        source_id: "s".into(),
        document_id: "d".into(),
        content_id: "c".into(),
        metadata: DocumentMetadata::new(),
        permissions: DocumentPermissions::public(),
        attributes: None,
    };
    both_ways(json.clone(), &event);

    // metadata and permissions are required on document_created.
    decode_err::<ConnectorEvent>(&remove(&json, "/metadata"));
    decode_err::<ConnectorEvent>(&remove(&json, "/permissions"));
    // `null` for the optional attributes is the same as absent.
    assert_eq!(
        decode::<ConnectorEvent>(&set(&json, "/attributes", Value::Null)),
        event
    );
}

#[test]
fn event_document_updated_both_ways() {
    let json = json!({
        "type": "document_updated",
        "sync_run_id": "run-1",
        "source_id": "src-1",
        "document_id": "page-7",
        "content_id": "01J0NEWCONTENT",
        "metadata": {"title": "Renamed", "updated_at": "2026-12-05T08:00:00Z"},
        "permissions": {"public": false, "users": [], "groups": ["all@example.com"]},
        "attributes": {"space": "ENG"}
    });
    let event: ConnectorEvent = decode(&json);
    assert_eq!(event.event_type(), EventType::DocumentUpdated);
    let ConnectorEvent::DocumentUpdated {
        sync_run_id,
        source_id,
        document_id,
        content_id,
        metadata,
        permissions,
        attributes,
    } = &event
    else {
        panic!("not document_updated: {event:?}")
    };
    assert_eq!(sync_run_id, "run-1");
    assert_eq!(source_id, "src-1");
    assert_eq!(document_id, "page-7");
    assert_eq!(content_id, "01J0NEWCONTENT");
    assert_eq!(metadata.title.as_deref(), Some("Renamed"));
    assert_eq!(metadata.updated_at, Some(ts!("2026-12-05T08:00:00Z")));
    assert_eq!(metadata.author, None);
    assert_eq!(
        permissions.as_ref(),
        Some(&DocumentPermissions::groups(["all@example.com"]))
    );
    assert_eq!(
        attributes.clone().map(Value::Object),
        Some(json!({"space": "ENG"}))
    );

    let built = ConnectorEvent::DocumentUpdated {
        sync_run_id: "run-1".into(),
        source_id: "src-1".into(),
        document_id: "page-7".into(),
        content_id: "01J0NEWCONTENT".into(),
        metadata: DocumentMetadata::new()
            .title("Renamed")
            .updated_at(ts!("2026-12-05T08:00:00Z")),
        permissions: Some(DocumentPermissions::groups(["all@example.com"])),
        attributes: Some(object(json!({"space": "ENG"}))),
    };
    both_ways(json.clone(), &built);
    ignores_unknown::<ConnectorEvent>(&json, &["", "/metadata", "/permissions"]);
}

#[test]
fn event_document_updated_without_permissions_omits_them() {
    let json = json!({
        "type": "document_updated",
        "sync_run_id": "r",
        "source_id": "s",
        "document_id": "d",
        "content_id": "c",
        "metadata": {}
    });
    let event = ConnectorEvent::DocumentUpdated {
        sync_run_id: "r".into(),
        source_id: "s".into(),
        document_id: "d".into(),
        content_id: "c".into(),
        metadata: DocumentMetadata::new(),
        permissions: None,
        attributes: None,
    };
    both_ways(json.clone(), &event);
    let encoded = encode(&event);
    assert!(encoded.get("permissions").is_none(), "{encoded}");
    assert!(encoded.get("attributes").is_none(), "{encoded}");
    // Explicit nulls decode like absence.
    let nulls = set(
        &set(&json, "/permissions", Value::Null),
        "/attributes",
        Value::Null,
    );
    assert_eq!(decode::<ConnectorEvent>(&nulls), event);
    // metadata stays required.
    decode_err::<ConnectorEvent>(&remove(&json, "/metadata"));
}

#[test]
fn event_document_deleted_both_ways() {
    let json = json!({
        "type": "document_deleted",
        "sync_run_id": "run-1",
        "source_id": "src-1",
        "document_id": "gone-1"
    });
    let event: ConnectorEvent = decode(&json);
    assert_eq!(event.event_type(), EventType::DocumentDeleted);
    let ConnectorEvent::DocumentDeleted {
        sync_run_id,
        source_id,
        document_id,
    } = &event
    else {
        panic!("not document_deleted: {event:?}")
    };
    assert_eq!(sync_run_id, "run-1");
    assert_eq!(source_id, "src-1");
    assert_eq!(document_id, "gone-1");
    both_ways(
        json.clone(),
        &ConnectorEvent::DocumentDeleted {
            sync_run_id: "run-1".into(),
            source_id: "src-1".into(),
            document_id: "gone-1".into(),
        },
    );
    ignores_unknown::<ConnectorEvent>(&json, &[""]);
}

#[test]
fn event_group_membership_sync_both_ways() {
    let json = json!({
        "type": "group_membership_sync",
        "sync_run_id": "run-1",
        "source_id": "src-1",
        "group_email": "eng@example.com",
        "group_name": "Engineering",
        "member_emails": ["ada@example.com", "bob@example.com"]
    });
    let event: ConnectorEvent = decode(&json);
    assert_eq!(event.event_type(), EventType::GroupMembershipSync);
    assert_eq!(event.document_id(), None);
    let ConnectorEvent::GroupMembershipSync {
        sync_run_id,
        source_id,
        group_email,
        group_name,
        member_emails,
    } = &event
    else {
        panic!("not group_membership_sync: {event:?}")
    };
    assert_eq!(sync_run_id, "run-1");
    assert_eq!(source_id, "src-1");
    assert_eq!(group_email, "eng@example.com");
    assert_eq!(group_name.as_deref(), Some("Engineering"));
    assert_eq!(
        member_emails,
        &strings(&["ada@example.com", "bob@example.com"])
    );
    both_ways(
        json.clone(),
        &ConnectorEvent::GroupMembershipSync {
            sync_run_id: "run-1".into(),
            source_id: "src-1".into(),
            group_email: "eng@example.com".into(),
            group_name: Some("Engineering".into()),
            member_emails: strings(&["ada@example.com", "bob@example.com"]),
        },
    );
    ignores_unknown::<ConnectorEvent>(&json, &[""]);

    // group_name is optional: absent when unset, null accepted.
    let without = remove(&json, "/group_name");
    let unnamed = ConnectorEvent::GroupMembershipSync {
        sync_run_id: "run-1".into(),
        source_id: "src-1".into(),
        group_email: "eng@example.com".into(),
        group_name: None,
        member_emails: strings(&["ada@example.com", "bob@example.com"]),
    };
    both_ways(without, &unnamed);
    assert_eq!(
        decode::<ConnectorEvent>(&set(&json, "/group_name", Value::Null)),
        unnamed
    );
}

/// A person_sync record with every field of PROTOCOL.md §5.
fn full_person_json() -> Value {
    json!({
        "external_id": "u-1",
        "email": "ada@example.com",
        "display_name": "Ada Lovelace",
        "given_name": "Ada",
        "middle_name": "Augusta",
        "surname": "Lovelace",
        "job_title": "Engineer",
        "department": "R&D",
        "division": "Compute",
        "company_name": "Analytical Engines Ltd",
        "office_location": "London",
        "work_country": "GB",
        "employee_id": "E-1815",
        "employee_type": "full_time",
        "cost_center": "CC-42",
        "grade": "G7",
        "band": "B2",
        "confirmation_status": "confirmed",
        "employment_start_date": "2020-01-06",
        "employment_end_date": "2030-12-31",
        "phone": "+44 20 0000 0000",
        "is_active": true,
        "top_department": "Engineering",
        "manager_external_id": "u-0",
        "source_updated_at": "2026-12-03T16:08:16Z"
    })
}

fn full_person() -> PersonSyncRecord {
    let mut p = PersonSyncRecord::new("u-1", "ada@example.com").display_name("Ada Lovelace");
    p.given_name = Some("Ada".into());
    p.middle_name = Some("Augusta".into());
    p.surname = Some("Lovelace".into());
    p.job_title = Some("Engineer".into());
    p.department = Some("R&D".into());
    p.division = Some("Compute".into());
    p.company_name = Some("Analytical Engines Ltd".into());
    p.office_location = Some("London".into());
    p.work_country = Some("GB".into());
    p.employee_id = Some("E-1815".into());
    p.employee_type = Some("full_time".into());
    p.cost_center = Some("CC-42".into());
    p.grade = Some("G7".into());
    p.band = Some("B2".into());
    p.confirmation_status = Some("confirmed".into());
    p.employment_start_date = Some("2020-01-06".into());
    p.employment_end_date = Some("2030-12-31".into());
    p.phone = Some("+44 20 0000 0000".into());
    p.is_active = Some(true);
    p.top_department = Some("Engineering".into());
    p.manager_external_id = Some("u-0".into());
    p.source_updated_at = Some(ts!("2026-12-03T16:08:16Z"));
    p
}

#[test]
fn event_person_sync_both_ways() {
    let json = json!({
        "type": "person_sync",
        "sync_run_id": "run-1",
        "source_id": "src-1",
        "person": full_person_json()
    });
    let event: ConnectorEvent = decode(&json);
    assert_eq!(event.event_type(), EventType::PersonSync);
    let ConnectorEvent::PersonSync {
        sync_run_id,
        source_id,
        person,
    } = &event
    else {
        panic!("not person_sync: {event:?}")
    };
    assert_eq!(sync_run_id, "run-1");
    assert_eq!(source_id, "src-1");
    assert_eq!(person.external_id, "u-1");
    assert_eq!(person.email, "ada@example.com");
    assert_eq!(person.display_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(person.given_name.as_deref(), Some("Ada"));
    assert_eq!(person.middle_name.as_deref(), Some("Augusta"));
    assert_eq!(person.surname.as_deref(), Some("Lovelace"));
    assert_eq!(person.job_title.as_deref(), Some("Engineer"));
    assert_eq!(person.department.as_deref(), Some("R&D"));
    assert_eq!(person.division.as_deref(), Some("Compute"));
    assert_eq!(
        person.company_name.as_deref(),
        Some("Analytical Engines Ltd")
    );
    assert_eq!(person.office_location.as_deref(), Some("London"));
    assert_eq!(person.work_country.as_deref(), Some("GB"));
    assert_eq!(person.employee_id.as_deref(), Some("E-1815"));
    assert_eq!(person.employee_type.as_deref(), Some("full_time"));
    assert_eq!(person.cost_center.as_deref(), Some("CC-42"));
    assert_eq!(person.grade.as_deref(), Some("G7"));
    assert_eq!(person.band.as_deref(), Some("B2"));
    assert_eq!(person.confirmation_status.as_deref(), Some("confirmed"));
    assert_eq!(person.employment_start_date.as_deref(), Some("2020-01-06"));
    assert_eq!(person.employment_end_date.as_deref(), Some("2030-12-31"));
    assert_eq!(person.phone.as_deref(), Some("+44 20 0000 0000"));
    assert_eq!(person.is_active, Some(true));
    assert_eq!(person.top_department.as_deref(), Some("Engineering"));
    assert_eq!(person.manager_external_id.as_deref(), Some("u-0"));
    assert_eq!(
        person.source_updated_at.map(|t| t.timestamp()),
        Some(1_796_314_096)
    );

    both_ways(
        json.clone(),
        &ConnectorEvent::PersonSync {
            sync_run_id: "run-1".into(),
            source_id: "src-1".into(),
            person: full_person(),
        },
    );
    ignores_unknown::<ConnectorEvent>(&json, &["", "/person"]);
}

#[test]
fn person_sync_record_minimal_omits_unset_fields() {
    let json = json!({"external_id": "u-2", "email": "bob@example.com"});
    both_ways(
        json.clone(),
        &PersonSyncRecord::new("u-2", "bob@example.com"),
    );
    // Every optional field decodes from null as unset.
    let mut nulls = object(full_person_json());
    for (key, value) in nulls.iter_mut() {
        if key != "external_id" && key != "email" {
            *value = Value::Null;
        }
    }
    assert_eq!(
        decode::<PersonSyncRecord>(&Value::Object(nulls)),
        PersonSyncRecord::new("u-1", "ada@example.com")
    );
    // The two required fields are required.
    decode_err::<PersonSyncRecord>(&json!({"external_id": "u-2"}));
    decode_err::<PersonSyncRecord>(&json!({"email": "bob@example.com"}));
    both_ways(full_person_json(), &full_person());
    ignores_unknown::<PersonSyncRecord>(&full_person_json(), &[""]);
}

#[test]
fn event_person_deleted_both_ways() {
    let json = json!({
        "type": "person_deleted",
        "sync_run_id": "run-1",
        "source_id": "src-1",
        "email": "gone@example.com"
    });
    let event: ConnectorEvent = decode(&json);
    assert_eq!(event.event_type(), EventType::PersonDeleted);
    let ConnectorEvent::PersonDeleted {
        sync_run_id,
        source_id,
        email,
    } = &event
    else {
        panic!("not person_deleted: {event:?}")
    };
    assert_eq!(sync_run_id, "run-1");
    assert_eq!(source_id, "src-1");
    assert_eq!(email, "gone@example.com");
    both_ways(
        json.clone(),
        &ConnectorEvent::PersonDeleted {
            sync_run_id: "run-1".into(),
            source_id: "src-1".into(),
            email: "gone@example.com".into(),
        },
    );
    ignores_unknown::<ConnectorEvent>(&json, &[""]);
}

#[test]
fn event_type_tags_are_the_protocol_strings() {
    let tags = [
        (EventType::DocumentCreated, "document_created"),
        (EventType::DocumentUpdated, "document_updated"),
        (EventType::DocumentDeleted, "document_deleted"),
        (EventType::GroupMembershipSync, "group_membership_sync"),
        (EventType::PersonSync, "person_sync"),
        (EventType::PersonDeleted, "person_deleted"),
    ];
    for (event_type, text) in tags {
        both_ways(json!(text), &event_type);
        assert_eq!(event_type.as_str(), text);
    }
    // An unknown tag is refused by ConnectorEvent (no variant to put it in).
    decode_err::<ConnectorEvent>(&json!({
        "type": "document_exploded", "sync_run_id": "r", "source_id": "s"
    }));
}

#[test]
fn event_timestamps_are_written_as_rfc3339_z() {
    // Whatever form the timestamp came in (offset, six-digit year), the
    // event is written in RFC 3339 UTC with `Z`.
    for input in [
        "2026-12-03T17:08:16+01:00",
        "+002026-12-03T16:08:16.000000000Z",
        "2026-12-03T16:08:16Z",
    ] {
        let json = set(
            &document_created_json(),
            "/metadata/created_at",
            json!(input),
        );
        let event: ConnectorEvent = decode(&json);
        assert_eq!(
            encode(&event)["metadata"]["created_at"],
            json!("2026-12-03T16:08:16Z"),
            "from {input}"
        );
    }
    let json = set(
        &document_created_json(),
        "/metadata/updated_at",
        json!("+002026-12-03T16:08:16.248478000Z"),
    );
    let event: ConnectorEvent = decode(&json);
    assert_eq!(
        encode(&event)["metadata"]["updated_at"],
        json!("2026-12-03T16:08:16.248478Z")
    );
}

// ---------------------------------------------------------------------------
// 2. Every other model
// ---------------------------------------------------------------------------

#[test]
fn document_metadata_both_ways() {
    let json = json!({
        "title": "T",
        "author": "a@example.com",
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-02T03:04:06.123Z",
        "content_type": "article",
        "mime_type": "text/html",
        "size": "0",
        "url": "https://x/1",
        "path": "/a/b",
        "extra": {}
    });
    let built = DocumentMetadata::new()
        .title("T")
        .author("a@example.com")
        .created_at(ts!("2026-01-02T03:04:05Z"))
        .updated_at(ts!("2026-01-02T03:04:06.123Z"))
        .content_type("article")
        .mime_type("text/html")
        .size(0)
        .url("https://x/1")
        .path("/a/b");
    let mut built = built;
    built.extra = Some(serde_json::Map::new());
    both_ways(json.clone(), &built);

    // Every field optional: {} <-> empty metadata, and each field alone.
    both_ways(json!({}), &DocumentMetadata::new());
    for (key, value) in object(json.clone()) {
        let single = json!({ key.clone(): value });
        let decoded: DocumentMetadata = decode(&single);
        assert_eq!(encode(&decoded), single, "only {key}");
        assert_ne!(decoded, DocumentMetadata::new(), "only {key}");
    }
    // A large size is still a decimal string.
    assert_eq!(
        encode(&DocumentMetadata::new().size(u64::MAX)),
        json!({"size": "18446744073709551615"})
    );
    // Nulls are absence.
    let mut nulls = object(json.clone());
    nulls.values_mut().for_each(|v| *v = Value::Null);
    assert_eq!(
        decode::<DocumentMetadata>(&Value::Object(nulls)),
        DocumentMetadata::new()
    );
    ignores_unknown::<DocumentMetadata>(&json, &[""]);
}

#[test]
fn document_permissions_both_ways_and_constructors() {
    let json = json!({"public": true, "users": ["u@x"], "groups": ["g@x"]});
    let built = DocumentPermissions {
        public: true,
        users: strings(&["u@x"]),
        groups: strings(&["g@x"]),
    };
    both_ways(json.clone(), &built);
    assert_eq!(
        DocumentPermissions::public()
            .with_users(["u@x"])
            .with_groups(["g@x"]),
        built
    );

    // Every constructor writes all three fields.
    let cases = [
        (
            DocumentPermissions::public(),
            json!({"public": true, "users": [], "groups": []}),
        ),
        (
            DocumentPermissions::private(),
            json!({"public": false, "users": [], "groups": []}),
        ),
        (
            DocumentPermissions::users(["a@x", "b@x"]),
            json!({"public": false, "users": ["a@x", "b@x"], "groups": []}),
        ),
        (
            DocumentPermissions::groups(vec![String::from("g@x")]),
            json!({"public": false, "users": [], "groups": ["g@x"]}),
        ),
        (
            DocumentPermissions::users(["a@x"]).with_users(["b@x"]),
            json!({"public": false, "users": ["a@x", "b@x"], "groups": []}),
        ),
    ];
    for (permissions, expected) in cases {
        both_ways(expected, &permissions);
    }
    ignores_unknown::<DocumentPermissions>(&json, &[""]);
}

#[test]
fn document_both_ways() {
    let json = json!({
        "external_id": "issue-42",
        "title": "Login fails",
        "content_id": "01J0C",
        "metadata": {"author": "ada@example.com", "size": "12"},
        "permissions": {"public": false, "users": ["ada@example.com"], "groups": []},
        "attributes": {"status": "open"}
    });
    let built = Document::new("issue-42", "Login fails", "01J0C")
        .with_metadata(DocumentMetadata::new().author("ada@example.com").size(12))
        .with_permissions(DocumentPermissions::users(["ada@example.com"]))
        .with_attribute("status", "open");
    assert_eq!(built.external_id, "issue-42");
    assert_eq!(built.title, "Login fails");
    assert_eq!(built.content_id, "01J0C");
    both_ways(json.clone(), &built);
    ignores_unknown::<Document>(&json, &["", "/metadata", "/permissions"]);

    // Unset parts are omitted, not null.
    both_ways(
        json!({"external_id": "e", "title": "t", "content_id": "c"}),
        &Document::new("e", "t", "c"),
    );
}

#[test]
fn sync_request_both_ways() {
    let json = json!({
        "sync_run_id": "run-1",
        "source_id": "src-1",
        "sync_mode": "incremental",
        "last_sync_at": "2026-12-03T16:08:16Z",
        "checkpoint": {"cursor": "page-2", "seen": 1},
        "is_resume": true
    });
    let request = SyncRequest {
        sync_run_id: "run-1".into(),
        source_id: "src-1".into(),
        sync_mode: SyncMode::Incremental,
        last_sync_at: Some(ts!("2026-12-03T16:08:16Z")),
        checkpoint: Some(json!({"cursor": "page-2", "seen": 1})),
        is_resume: true,
    };
    both_ways(json.clone(), &request);
    ignores_unknown::<SyncRequest>(&json, &[""]);

    // is_resume absent = false; last_sync_at and checkpoint optional.
    let minimal = json!({"sync_run_id": "r", "source_id": "s", "sync_mode": "full"});
    let decoded: SyncRequest = decode(&minimal);
    assert!(!decoded.is_resume);
    assert_eq!(decoded.sync_mode, SyncMode::Full);
    assert_eq!(decoded.last_sync_at, None);
    assert_eq!(decoded.checkpoint, None);
    // Encoding leaves them out (absent means exactly this on the wire).
    assert_eq!(encode(&decoded), minimal);
    // "optional" also means null.
    let nulls = json!({
        "sync_run_id": "r", "source_id": "s", "sync_mode": "full",
        "last_sync_at": null, "checkpoint": null, "is_resume": null
    });
    assert_eq!(decode::<SyncRequest>(&nulls), decoded);
    // is_resume: false decodes as false.
    assert!(!decode::<SyncRequest>(&set(&minimal, "/is_resume", json!(false))).is_resume);

    // checkpoint is any JSON.
    for checkpoint in [
        json!("opaque"),
        json!(42),
        json!(false),
        json!([1, "two", {"three": 3}]),
        json!({"nested": {"deep": [null, 1.5]}}),
    ] {
        let with = set(&minimal, "/checkpoint", checkpoint.clone());
        let decoded: SyncRequest = decode(&with);
        assert_eq!(decoded.checkpoint.as_ref(), Some(&checkpoint));
        assert_eq!(encode(&decoded), with);
    }

    // All three modes.
    for (mode, text) in [
        (SyncMode::Full, "full"),
        (SyncMode::Incremental, "incremental"),
        (SyncMode::Realtime, "realtime"),
    ] {
        both_ways(json!(text), &mode);
        assert_eq!(mode.is_realtime(), text == "realtime");
    }

    // Required fields are required.
    for key in ["sync_run_id", "source_id", "sync_mode"] {
        decode_err::<SyncRequest>(&remove(&json, &format!("/{key}")));
    }
}

#[test]
fn sync_response_and_status_both_ways() {
    both_ways(json!({"status": "started"}), &SyncResponse::started());
    both_ways(
        json!({"status": "error", "message": "Sync already in progress for this source"}),
        &SyncResponse::error("Sync already in progress for this source"),
    );
    both_ways(
        json!({"status": "error", "message": "Source not found: s-1"}),
        &SyncResponse {
            status: "error".into(),
            message: Some("Source not found: s-1".into()),
        },
    );
    both_ways(
        json!({"running": true}),
        &SyncStatusResponse { running: true },
    );
    both_ways(
        json!({"running": false}),
        &SyncStatusResponse { running: false },
    );
    ignores_unknown::<SyncResponse>(&json!({"status": "started"}), &[""]);
    ignores_unknown::<SyncStatusResponse>(&json!({"running": true}), &[""]);
}

#[test]
fn cancel_and_health_both_ways() {
    both_ways(
        json!({"sync_run_id": "run-9"}),
        &CancelRequest {
            sync_run_id: "run-9".into(),
        },
    );
    decode_err::<CancelRequest>(&json!({}));
    both_ways(json!({"status": "cancelled"}), &CancelResponse::cancelled());
    both_ways(json!({"status": "not_found"}), &CancelResponse::not_found());
    both_ways(
        json!({"status": "healthy", "service": "rss"}),
        &HealthResponse::healthy("rss"),
    );
    ignores_unknown::<CancelRequest>(&json!({"sync_run_id": "r"}), &[""]);
    ignores_unknown::<HealthResponse>(&json!({"status": "healthy", "service": "x"}), &[""]);
}

/// An ActionDefinition with every field of PROTOCOL.md §4.
fn full_action_json() -> Value {
    json!({
        "name": "create_issue",
        "description": "Open an issue",
        "input_schema": {
            "type": "object",
            "properties": {"title": {"type": "string"}},
            "required": ["title"]
        },
        "mode": "write",
        "required_scopes": ["repo"],
        "source_types": ["github"],
        "admin_only": true,
        "hidden": true
    })
}

#[test]
fn action_definition_both_ways() {
    let json = full_action_json();
    let mut built = ActionDefinition::new(
        "create_issue",
        "Open an issue",
        json!({
            "type": "object",
            "properties": {"title": {"type": "string"}},
            "required": ["title"]
        }),
    );
    built.required_scopes = Some(strings(&["repo"]));
    built.source_types = strings(&["github"]);
    built.admin_only = true;
    built.hidden = true;
    both_ways(json.clone(), &built);
    ignores_unknown::<ActionDefinition>(&json, &[""]);

    let read = set(&json, "/mode", json!("read"));
    assert_eq!(
        decode::<ActionDefinition>(&read),
        built.clone().mode(ActionMode::Read)
    );
    assert_eq!(encode(&built.mode(ActionMode::Read)), read);
}

#[test]
fn action_definition_defaults() {
    let minimal = json!({"name": "ping", "description": "Ping it"});
    let decoded: ActionDefinition = decode(&minimal);
    assert_eq!(decoded.name, "ping");
    assert_eq!(decoded.description, "Ping it");
    assert_eq!(decoded.mode, ActionMode::Write);
    assert_eq!(ActionMode::default(), ActionMode::Write);
    assert_eq!(decoded.required_scopes, None);
    assert!(decoded.source_types.is_empty());
    assert!(!decoded.admin_only);
    assert!(!decoded.hidden);
    // A defaulted input_schema is still a JSON Schema object the manager
    // accepts.
    assert!(decoded.input_schema.is_object(), "{}", decoded.input_schema);
    assert_manager_accepts_schema(&decoded.input_schema);
    // `null` required_scopes is accepted.
    assert_eq!(
        decode::<ActionDefinition>(&set(&minimal, "/required_scopes", Value::Null)),
        decoded
    );

    // Encoded, the defaults are spelled out.
    let encoded = encode(&ActionDefinition::new(
        "ping",
        "Ping it",
        json!({"type": "object", "properties": {}}),
    ));
    assert_eq!(encoded["mode"], json!("write"));
    assert_eq!(encoded["source_types"], json!([]));
    assert_eq!(encoded["admin_only"], json!(false));
    assert_eq!(encoded["hidden"], json!(false));
    assert_eq!(
        encoded["input_schema"],
        json!({"type": "object", "properties": {}})
    );
    assert!(matches!(
        encoded.get("required_scopes"),
        None | Some(Value::Null)
    ));
}

/// PROTOCOL.md §4's rules for an action's `input_schema`.
fn assert_manager_accepts_schema(schema: &Value) {
    const ANYWHERE: [&str; 9] = [
        "$ref",
        "$defs",
        "definitions",
        "dependentRequired",
        "dependentSchemas",
        "if",
        "then",
        "else",
        "not",
    ];
    fn walk(value: &Value) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    assert!(!ANYWHERE.contains(&key.as_str()), "forbidden keyword {key}");
                    walk(inner);
                }
            }
            Value::Array(items) => items.iter().for_each(walk),
            _ => {}
        }
    }
    let map = schema.as_object().expect("input_schema must be an object");
    if let Some(kind) = map.get("type") {
        assert_eq!(kind, "object");
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        assert!(!map.contains_key(key), "top-level {key}");
    }
    walk(schema);
}

#[test]
fn action_parameters_build_the_input_schema() {
    let action = ActionDefinition::from_parameters(
        "validate_feed",
        "Check that a feed parses",
        [
            ActionParameter::new("url", "string")
                .required(true)
                .description("Feed URL"),
            ActionParameter::new("limit", "integer"),
            ActionParameter::new("strict", "boolean").required(true),
        ],
    );
    let expected_schema = json!({
        "type": "object",
        "properties": {
            "url": {"type": "string", "description": "Feed URL"},
            "limit": {"type": "integer"},
            "strict": {"type": "boolean"}
        },
        "required": ["url", "strict"]
    });
    assert_eq!(action.input_schema, expected_schema);
    assert_manager_accepts_schema(&action.input_schema);
    both_ways(
        json!({
            "name": "validate_feed",
            "description": "Check that a feed parses",
            "input_schema": expected_schema,
            "mode": "write",
            "source_types": [],
            "admin_only": false,
            "hidden": false
        }),
        &action,
    );

    // No parameter required: a valid object schema still.
    let schema = ActionParameter::input_schema([ActionParameter::new("q", "string")]);
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["properties"], json!({"q": {"type": "string"}}));
    assert!(matches!(
        schema.get("required"),
        None | Some(Value::Array(_))
    ));
    if let Some(required) = schema.get("required") {
        assert_eq!(required, &json!([]));
    }
    assert_manager_accepts_schema(&ActionParameter::input_schema([]));

    // The parameter itself on the wire: `type`, `required`, `description`.
    both_ways(
        json!({"name": "url", "type": "string", "required": true, "description": "Feed URL"}),
        &ActionParameter::new("url", "string")
            .required(true)
            .description("Feed URL"),
    );
    let bare: ActionParameter = decode(&json!({"name": "n", "type": "number"}));
    assert_eq!(bare, ActionParameter::new("n", "number"));
    assert!(!bare.required);
}

/// The Source row as the real manager sends it (six-digit-year timestamps).
fn source_row_json() -> Value {
    json!({
        "id": "01SRC",
        "name": "Engineering tracker",
        "source_type": "github",
        "integration_type": "connector",
        "config": {"org": "acme", "api_key": "SOURCE-CONFIG-SECRET-4411"},
        "is_active": true,
        "is_deleted": false,
        "scope": "user",
        "user_filter_mode": "whitelist",
        "user_whitelist": ["ada@example.com"],
        "user_blacklist": null,
        "connector_state": {"webhook_id": 7},
        "checkpoint": {"since": "2026-12-01"},
        "sync_interval_seconds": 900,
        "created_at": "+002026-12-03T16:08:16.248478000Z",
        "updated_at": "+002026-12-03T16:08:17.000000000Z",
        "created_by": "01USER"
    })
}

/// The same row as the SDK writes it (RFC 3339).
fn source_rfc3339_json() -> Value {
    let json = set(
        &source_row_json(),
        "/created_at",
        json!("2026-12-03T16:08:16.248478Z"),
    );
    set(&json, "/updated_at", json!("2026-12-03T16:08:17Z"))
}

fn source_model() -> Source {
    Source {
        id: "01SRC".into(),
        name: "Engineering tracker".into(),
        source_type: "github".into(),
        integration_type: Some("connector".into()),
        config: json!({"org": "acme", "api_key": "SOURCE-CONFIG-SECRET-4411"}),
        is_active: true,
        is_deleted: false,
        scope: SourceScope::User,
        user_filter_mode: UserFilterMode::Whitelist,
        user_whitelist: Some(strings(&["ada@example.com"])),
        user_blacklist: None,
        connector_state: Some(json!({"webhook_id": 7})),
        checkpoint: Some(json!({"since": "2026-12-01"})),
        sync_interval_seconds: Some(900),
        created_at: ts!("2026-12-03T16:08:16.248478Z"),
        updated_at: ts!("2026-12-03T16:08:17Z"),
        created_by: "01USER".into(),
    }
}

#[test]
fn source_both_ways() {
    let model = source_model();
    assert_eq!(decode::<Source>(&source_row_json()), model);
    both_ways(source_rfc3339_json(), &model);
    ignores_unknown::<Source>(&source_row_json(), &[""]);

    // integration_type is optional; the others are written even when null.
    let mut bare = model.clone();
    bare.integration_type = None;
    bare.user_whitelist = None;
    bare.connector_state = None;
    bare.checkpoint = None;
    bare.sync_interval_seconds = None;
    bare.scope = SourceScope::Org;
    bare.user_filter_mode = UserFilterMode::All;
    let mut expected = remove(&source_rfc3339_json(), "/integration_type");
    for key in [
        "user_whitelist",
        "connector_state",
        "checkpoint",
        "sync_interval_seconds",
    ] {
        expected = set(&expected, &format!("/{key}"), Value::Null);
    }
    expected = set(&expected, "/scope", json!("org"));
    expected = set(&expected, "/user_filter_mode", json!("all"));
    both_ways(expected, &bare);

    // The user filter of §5.
    let mut s = model.clone();
    assert!(s.should_index_user("ada@example.com"));
    assert!(!s.should_index_user("bob@example.com"));
    s.user_filter_mode = UserFilterMode::Blacklist;
    s.user_blacklist = Some(strings(&["bob@example.com"]));
    assert!(s.should_index_user("ada@example.com"));
    assert!(!s.should_index_user("bob@example.com"));
    s.user_filter_mode = UserFilterMode::All;
    assert!(s.should_index_user("bob@example.com"));
}

/// A credential row as the real manager sends it.
fn credential_row_json() -> Value {
    json!({
        "id": "01CRED",
        "source_id": "01SRC",
        "user_id": "01USER",
        "provider": "github",
        "auth_type": "oauth",
        "principal_email": "bot@example.com",
        "credentials": {"access_token": "CRED-SECRET-9931", "refresh_token": "CRED-REFRESH-5521"},
        "config": {"client_secret": "CRED-CONFIG-SECRET-7731"},
        "expires_at": "+002027-01-01T00:00:00.000000000Z",
        "last_validated_at": "+002026-12-03T16:08:46.354247000Z",
        "created_at": "+002026-12-03T16:08:46.354247000Z",
        "updated_at": "+002026-12-03T16:08:46.354247000Z"
    })
}

fn credential_model() -> ServiceCredential {
    ServiceCredential {
        id: "01CRED".into(),
        source_id: "01SRC".into(),
        user_id: Some("01USER".into()),
        provider: "github".into(),
        auth_type: "oauth".into(),
        principal_email: Some("bot@example.com".into()),
        credentials: json!({"access_token": "CRED-SECRET-9931", "refresh_token": "CRED-REFRESH-5521"}),
        config: json!({"client_secret": "CRED-CONFIG-SECRET-7731"}),
        expires_at: Some(ts!("2027-01-01T00:00:00Z")),
        last_validated_at: Some(ts!("2026-12-03T16:08:46.354247Z")),
        created_at: ts!("2026-12-03T16:08:46.354247Z"),
        updated_at: ts!("2026-12-03T16:08:46.354247Z"),
    }
}

#[test]
fn service_credential_both_ways() {
    let model = credential_model();
    assert_eq!(decode::<ServiceCredential>(&credential_row_json()), model);
    let mut rfc = credential_row_json();
    for (key, value) in [
        ("expires_at", "2027-01-01T00:00:00Z"),
        ("last_validated_at", "2026-12-03T16:08:46.354247Z"),
        ("created_at", "2026-12-03T16:08:46.354247Z"),
        ("updated_at", "2026-12-03T16:08:46.354247Z"),
    ] {
        rfc = set(&rfc, &format!("/{key}"), json!(value));
    }
    both_ways(rfc.clone(), &model);
    ignores_unknown::<ServiceCredential>(&credential_row_json(), &[""]);

    // The optional fields (user_id?, principal_email?, expires_at?,
    // last_validated_at?) are omitted when unset, and null decodes as unset.
    let mut bare = model.clone();
    bare.user_id = None;
    bare.principal_email = None;
    bare.expires_at = None;
    bare.last_validated_at = None;
    let mut expected = rfc.clone();
    let mut nulls = rfc;
    for key in [
        "user_id",
        "principal_email",
        "expires_at",
        "last_validated_at",
    ] {
        expected = remove(&expected, &format!("/{key}"));
        nulls = set(&nulls, &format!("/{key}"), Value::Null);
    }
    both_ways(expected, &bare);
    assert_eq!(decode::<ServiceCredential>(&nulls), bare);
}

#[test]
fn action_request_both_ways() {
    // The full request as the real manager sends it: whole credential row,
    // whole Source with six-digit-year timestamps.
    let wire = json!({
        "action": "create_issue",
        "params": {"title": "Broken", "labels": ["bug"]},
        "credentials": credential_row_json(),
        "source": source_row_json(),
        "actor_email": "ada@example.com"
    });
    let model = ActionRequest {
        action: "create_issue".into(),
        params: json!({"title": "Broken", "labels": ["bug"]}),
        credentials: Some(credential_model()),
        source: Some(source_model()),
        actor_email: Some("ada@example.com".into()),
    };
    let decoded: ActionRequest = decode(&wire);
    assert_eq!(decoded.action, "create_issue");
    assert_eq!(
        decoded.params,
        json!({"title": "Broken", "labels": ["bug"]})
    );
    assert_eq!(
        decoded
            .credentials
            .as_ref()
            .map(|c| &c.credentials["access_token"]),
        Some(&json!("CRED-SECRET-9931"))
    );
    assert_eq!(
        decoded
            .source
            .as_ref()
            .map(|s| s.created_at.timestamp_micros()),
        Some(1_796_314_096_248_478)
    );
    assert_eq!(decoded.actor_email.as_deref(), Some("ada@example.com"));
    assert_eq!(decoded, model);
    ignores_unknown::<ActionRequest>(&wire, &["", "/credentials", "/source"]);

    // Encoded, the SDK writes RFC 3339.
    both_ways(
        json!({
            "action": "create_issue",
            "params": {"title": "Broken", "labels": ["bug"]},
            "credentials": encode(&credential_model()),
            "source": source_rfc3339_json(),
            "actor_email": "ada@example.com"
        }),
        &model,
    );

    // params absent = {}; credentials, source, actor_email optional
    // (absent or null).
    let minimal = ActionRequest {
        action: "ping".into(),
        params: json!({}),
        credentials: None,
        source: None,
        actor_email: None,
    };
    assert_eq!(decode::<ActionRequest>(&json!({"action": "ping"})), minimal);
    assert_eq!(
        decode::<ActionRequest>(&json!({
            "action": "ping", "params": null, "credentials": null,
            "source": null, "actor_email": null
        })),
        minimal
    );
    both_ways(json!({"action": "ping", "params": {}}), &minimal);
    decode_err::<ActionRequest>(&json!({"params": {}}));
}

#[test]
fn action_response_both_ways() {
    both_ways(
        json!({"status": "success", "result": {"id": 42}}),
        &ActionResponse::success(json!({"id": 42})),
    );
    both_ways(
        json!({"status": "error", "error": "bad params"}),
        &ActionResponse::failure("bad params"),
    );
    let unsupported = ActionResponse::not_supported("explode");
    both_ways(
        json!({"status": "error", "error": "Action not supported: explode"}),
        &unsupported,
    );
    assert!(!unsupported.is_success());
    assert!(ActionResponse::success(json!(null)).is_success());
    // Absent fields are omitted, not null: a bare status is exactly that.
    let bare = ActionResponse {
        status: ActionStatus::Success,
        result: None,
        error: None,
    };
    both_ways(json!({"status": "success"}), &bare);
    assert_eq!(
        decode::<ActionResponse>(&json!({"status": "success", "result": null, "error": null})),
        bare
    );
    ignores_unknown::<ActionResponse>(&json!({"status": "success"}), &[""]);
    decode_err::<ActionResponse>(&json!({"result": 1}));
}

/// A manifest with every field of PROTOCOL.md §4 set to a non-default value.
fn full_manifest_json() -> Value {
    json!({
        "name": "tracker",
        "display_name": "Tracker",
        "version": "1.2.3",
        "sync_modes": ["full", "incremental", "realtime"],
        "connector_id": "tracker",
        "connector_url": "http://tracker:8080",
        "integration_type": "connector",
        "source_types": ["github", "jira"],
        "description": "Issues from the tracker",
        "actions": [full_action_json()],
        "search_operators": [
            {"operator": "status", "attribute_key": "status", "value_type": "text"},
            {"operator": "assignee", "attribute_key": "assignee", "value_type": "person"},
            {"operator": "due", "attribute_key": "due_at", "value_type": "datetime"}
        ],
        "read_only": true,
        "extra_schema": {"type": "object"},
        "attributes_schema": {"type": "object", "properties": {"status": {"type": "string"}}},
        "mcp_enabled": true,
        "mcp_catalog_loaded": true,
        "resources": [{"uri": "tracker://issues"}],
        "prompts": [{"name": "triage"}],
        "skills": [{"name": "summarize"}],
        "oauth": {"provider": "github", "scopes": ["repo"]}
    })
}

#[test]
fn connector_manifest_both_ways() {
    let json = full_manifest_json();
    let mut manifest = ConnectorManifest::new(
        "tracker",
        "Tracker",
        "1.2.3",
        vec![SyncMode::Full, SyncMode::Incremental, SyncMode::Realtime],
    );
    assert_eq!(manifest.connector_id, "tracker");
    manifest.connector_url = "http://tracker:8080".into();
    manifest.source_types = strings(&["github", "jira"]);
    manifest.description = Some("Issues from the tracker".into());
    manifest.actions = vec![decode(&full_action_json())];
    manifest.search_operators = vec![
        SearchOperator::new("status", "status"),
        SearchOperator {
            operator: "assignee".into(),
            attribute_key: "assignee".into(),
            value_type: SearchValueType::Person,
        },
        SearchOperator {
            operator: "due".into(),
            attribute_key: "due_at".into(),
            value_type: SearchValueType::Datetime,
        },
    ];
    manifest.read_only = true;
    manifest.extra_schema = Some(json!({"type": "object"}));
    manifest.attributes_schema =
        Some(json!({"type": "object", "properties": {"status": {"type": "string"}}}));
    manifest.mcp_enabled = true;
    manifest.mcp_catalog_loaded = true;
    manifest.resources = vec![json!({"uri": "tracker://issues"})];
    manifest.prompts = vec![json!({"name": "triage"})];
    manifest.skills = vec![json!({"name": "summarize"})];
    manifest.oauth = Some(json!({"provider": "github", "scopes": ["repo"]}));
    both_ways(json.clone(), &manifest);
    assert_eq!(
        manifest.action("create_issue").map(|a| a.admin_only),
        Some(true)
    );
    assert!(manifest.action("nope").is_none());
    ignores_unknown::<ConnectorManifest>(&json, &["", "/actions/0", "/search_operators/0"]);

    // The required fields are required.
    for key in [
        "name",
        "display_name",
        "version",
        "sync_modes",
        "connector_id",
        "connector_url",
    ] {
        decode_err::<ConnectorManifest>(&remove(&json, &format!("/{key}")));
    }
}

#[test]
fn connector_manifest_defaults() {
    let minimal = json!({
        "name": "tracker",
        "display_name": "Tracker",
        "version": "0.1.0",
        "sync_modes": ["full"],
        "connector_id": "tracker",
        "connector_url": "http://tracker:8080"
    });
    let decoded: ConnectorManifest = decode(&minimal);
    assert_eq!(decoded.name, "tracker");
    assert_eq!(decoded.display_name, "Tracker");
    assert_eq!(decoded.version, "0.1.0");
    assert_eq!(decoded.sync_modes, vec![SyncMode::Full]);
    assert_eq!(decoded.connector_id, "tracker");
    assert_eq!(decoded.connector_url, "http://tracker:8080");
    assert_eq!(decoded.integration_type, "connector");
    assert!(decoded.source_types.is_empty());
    assert_eq!(decoded.description, None);
    assert!(decoded.actions.is_empty());
    assert!(decoded.search_operators.is_empty());
    assert!(!decoded.read_only);
    assert_eq!(decoded.extra_schema, None);
    assert_eq!(decoded.attributes_schema, None);
    assert!(!decoded.mcp_enabled);
    assert!(!decoded.mcp_catalog_loaded);
    assert!(decoded.resources.is_empty());
    assert!(decoded.prompts.is_empty());
    assert!(decoded.skills.is_empty());
    assert_eq!(decoded.oauth, None);

    // The SDK's constructor has the same defaults, and writes every field.
    let mut built = ConnectorManifest::new("tracker", "Tracker", "0.1.0", vec![SyncMode::Full]);
    assert_eq!(built.connector_url, "");
    built.connector_url = "http://tracker:8080".into();
    assert_eq!(built, decoded);
    let defaults = json!({
        "name": "tracker",
        "display_name": "Tracker",
        "version": "0.1.0",
        "sync_modes": ["full"],
        "connector_id": "tracker",
        "connector_url": "http://tracker:8080",
        "integration_type": "connector",
        "source_types": [],
        "description": null,
        "actions": [],
        "search_operators": [],
        "read_only": false,
        "extra_schema": null,
        "attributes_schema": null,
        "mcp_enabled": false,
        "mcp_catalog_loaded": false,
        "resources": [],
        "prompts": [],
        "skills": [],
        "oauth": null
    });
    both_ways(defaults.clone(), &built);
    // `null` for the JSON|null and str|null fields is the default too.
    assert_eq!(decode::<ConnectorManifest>(&defaults), decoded);
}

#[test]
fn search_operator_both_ways() {
    let decoded: SearchOperator = decode(&json!({"operator": "status", "attribute_key": "s"}));
    assert_eq!(decoded.value_type, SearchValueType::Text);
    assert_eq!(SearchValueType::default(), SearchValueType::Text);
    assert_eq!(decoded, SearchOperator::new("status", "s"));
    both_ways(
        json!({"operator": "status", "attribute_key": "s", "value_type": "text"}),
        &decoded,
    );
    for (value_type, text) in [
        (SearchValueType::Text, "text"),
        (SearchValueType::Person, "person"),
        (SearchValueType::Datetime, "datetime"),
    ] {
        both_ways(
            json!({"operator": "o", "attribute_key": "k", "value_type": text}),
            &SearchOperator {
                operator: "o".into(),
                attribute_key: "k".into(),
                value_type,
            },
        );
    }
    ignores_unknown::<SearchOperator>(&json!({"operator": "o", "attribute_key": "k"}), &[""]);
}

#[test]
fn sdk_bodies_both_ways() {
    both_ways(json!({"status": "ok"}), &StatusResponse::ok());
    both_ways(
        json!({"error": "Unknown sync run"}),
        &ErrorResponse {
            error: "Unknown sync run".into(),
        },
    );

    let deleted = json!({"type": "document_deleted", "sync_run_id": "r", "source_id": "s", "document_id": "d"});
    let deleted_event = ConnectorEvent::DocumentDeleted {
        sync_run_id: "r".into(),
        source_id: "s".into(),
        document_id: "d".into(),
    };
    both_ways(
        json!({"sync_run_id": "r", "source_id": "s", "event": deleted.clone()}),
        &EventRequest {
            sync_run_id: "r".into(),
            source_id: "s".into(),
            event: deleted_event.clone(),
        },
    );
    let person_deleted = ConnectorEvent::PersonDeleted {
        sync_run_id: "r".into(),
        source_id: "s".into(),
        email: "p@x".into(),
    };
    both_ways(
        json!({
            "sync_run_id": "r",
            "source_id": "s",
            "events": [
                deleted,
                {"type": "person_deleted", "sync_run_id": "r", "source_id": "s", "email": "p@x"}
            ]
        }),
        &EventBatchRequest {
            sync_run_id: "r".into(),
            source_id: "s".into(),
            events: vec![deleted_event, person_deleted],
        },
    );
    both_ways(
        json!({"sync_run_id": "r", "source_id": "s", "events": []}),
        &EventBatchRequest {
            sync_run_id: "r".into(),
            source_id: "s".into(),
            events: vec![],
        },
    );

    both_ways(
        json!({"sync_run_id": "r", "content": "hello", "content_type": "text/plain"}),
        &ContentRequest {
            sync_run_id: "r".into(),
            content: "hello".into(),
            content_type: Some("text/plain".into()),
        },
    );
    let no_type = ContentRequest {
        sync_run_id: "r".into(),
        content: "hello".into(),
        content_type: None,
    };
    both_ways(json!({"sync_run_id": "r", "content": "hello"}), &no_type);
    assert_eq!(
        decode::<ContentRequest>(
            &json!({"sync_run_id": "r", "content": "hello", "content_type": null})
        ),
        no_type
    );
    both_ways(
        json!({"content_id": "01M8YBAYNXHJK9N97EBETV67YQ"}),
        &ContentResponse {
            content_id: "01M8YBAYNXHJK9N97EBETV67YQ".into(),
        },
    );
    both_ways(
        json!({"text": "extracted"}),
        &ExtractTextResponse {
            text: "extracted".into(),
        },
    );

    // scanned: `count` absent = 1.
    both_ways(json!({"count": 5}), &CountRequest { count: 5 });
    assert_eq!(
        decode::<CountRequest>(&json!({})),
        CountRequest { count: 1 }
    );

    both_ways(
        json!({"error": "upstream 500"}),
        &FailRequest {
            error: "upstream 500".into(),
        },
    );
    both_ways(
        json!({"sync_run_id": "r"}),
        &SdkCancelRequest {
            sync_run_id: "r".into(),
        },
    );
    both_ways(
        json!({"success": true}),
        &SdkCancelResponse { success: true },
    );
    both_ways(
        json!({"source_id": "s", "sync_type": "full"}),
        &CreateSyncRequest {
            source_id: "s".into(),
            sync_type: "full".into(),
        },
    );
    both_ways(
        json!({"sync_run_id": "r2"}),
        &SyncRunResponse {
            sync_run_id: "r2".into(),
        },
    );
    both_ways(
        json!({"source_id": "s", "event_type": "push"}),
        &WebhookNotifyRequest {
            source_id: "s".into(),
            event_type: "push".into(),
        },
    );
    both_ways(
        json!({"email": "owner@example.com"}),
        &UserEmailResponse {
            email: "owner@example.com".into(),
        },
    );

    let sync_config = json!({
        "config": {"base_url": "https://x"},
        "credentials": {"token": "t"},
        "connector_state": {"k": 1},
        "checkpoint": {"cursor": "c"},
        "source_type": "web",
        "user_filter_mode": "blacklist",
        "user_whitelist": null,
        "user_blacklist": ["no@example.com"]
    });
    both_ways(
        sync_config.clone(),
        &SyncConfigResponse {
            config: json!({"base_url": "https://x"}),
            credentials: json!({"token": "t"}),
            connector_state: Some(json!({"k": 1})),
            checkpoint: Some(json!({"cursor": "c"})),
            source_type: Some("web".into()),
            user_filter_mode: UserFilterMode::Blacklist,
            user_whitelist: None,
            user_blacklist: Some(strings(&["no@example.com"])),
        },
    );

    // Unknown fields are ignored in every /sdk/* body.
    ignores_unknown::<StatusResponse>(&json!({"status": "ok"}), &[""]);
    ignores_unknown::<ErrorResponse>(&json!({"error": "e"}), &[""]);
    ignores_unknown::<EventRequest>(
        &json!({"sync_run_id": "r", "source_id": "s", "event": {"type": "document_deleted", "sync_run_id": "r", "source_id": "s", "document_id": "d"}}),
        &["", "/event"],
    );
    ignores_unknown::<EventBatchRequest>(
        &json!({"sync_run_id": "r", "source_id": "s", "events": [{"type": "person_deleted", "sync_run_id": "r", "source_id": "s", "email": "e"}]}),
        &["", "/events/0"],
    );
    ignores_unknown::<ContentRequest>(&json!({"sync_run_id": "r", "content": "c"}), &[""]);
    ignores_unknown::<ContentResponse>(&json!({"content_id": "c"}), &[""]);
    ignores_unknown::<ExtractTextResponse>(&json!({"text": "t"}), &[""]);
    ignores_unknown::<CountRequest>(&json!({"count": 2}), &[""]);
    ignores_unknown::<FailRequest>(&json!({"error": "e"}), &[""]);
    ignores_unknown::<SdkCancelRequest>(&json!({"sync_run_id": "r"}), &[""]);
    ignores_unknown::<SdkCancelResponse>(&json!({"success": false}), &[""]);
    ignores_unknown::<CreateSyncRequest>(&json!({"source_id": "s", "sync_type": "full"}), &[""]);
    ignores_unknown::<SyncRunResponse>(&json!({"sync_run_id": "r"}), &[""]);
    ignores_unknown::<WebhookNotifyRequest>(&json!({"source_id": "s", "event_type": "e"}), &[""]);
    ignores_unknown::<UserEmailResponse>(&json!({"email": "e"}), &[""]);
    ignores_unknown::<SyncConfigResponse>(&sync_config, &[""]);
}

// ---------------------------------------------------------------------------
// 3. Leniency: unknown enum strings, both timestamp forms
// ---------------------------------------------------------------------------

#[test]
fn unknown_enum_strings_are_kept_and_reencoded() {
    // SyncMode, inside a SyncRequest and a manifest.
    let request = json!({"sync_run_id": "r", "source_id": "s", "sync_mode": "hourly"});
    let decoded: SyncRequest = decode(&request);
    assert_eq!(decoded.sync_mode, SyncMode::Other("hourly".into()));
    assert!(!decoded.sync_mode.is_realtime());
    assert_eq!(encode(&decoded), request);
    let mut manifest = full_manifest_json();
    manifest["sync_modes"] = json!(["full", "hourly"]);
    let decoded: ConnectorManifest = decode(&manifest);
    assert_eq!(
        decoded.sync_modes,
        vec![SyncMode::Full, SyncMode::Other("hourly".into())]
    );
    assert_eq!(encode(&decoded), manifest);

    // UserFilterMode and SourceScope, inside a Source.
    let source = set(
        &set(
            &source_rfc3339_json(),
            "/user_filter_mode",
            json!("by_group"),
        ),
        "/scope",
        json!("team"),
    );
    let decoded: Source = decode(&source);
    assert_eq!(
        decoded.user_filter_mode,
        UserFilterMode::Other("by_group".into())
    );
    assert_eq!(decoded.scope, SourceScope::Other("team".into()));
    assert_eq!(encode(&decoded), source);
    // A mode this SDK does not know indexes rather than drops.
    assert!(decoded.should_index_user("anyone@example.com"));

    // UserFilterMode inside SyncConfigResponse.
    let config = json!({
        "config": {}, "credentials": {}, "connector_state": null, "checkpoint": null,
        "source_type": "web", "user_filter_mode": "by_group",
        "user_whitelist": null, "user_blacklist": null
    });
    let decoded: SyncConfigResponse = decode(&config);
    assert_eq!(
        decoded.user_filter_mode,
        UserFilterMode::Other("by_group".into())
    );
    assert_eq!(encode(&decoded), config);

    // ActionMode inside an ActionDefinition.
    let action = set(&full_action_json(), "/mode", json!("destructive"));
    let decoded: ActionDefinition = decode(&action);
    assert_eq!(decoded.mode, ActionMode::Other("destructive".into()));
    assert_eq!(encode(&decoded), action);

    // SearchValueType inside a SearchOperator.
    let operator = json!({"operator": "o", "attribute_key": "k", "value_type": "geo"});
    let decoded: SearchOperator = decode(&operator);
    assert_eq!(decoded.value_type, SearchValueType::Other("geo".into()));
    assert_eq!(encode(&decoded), operator);

    // ActionStatus inside an ActionResponse.
    let response = json!({"status": "partial", "result": [1]});
    let decoded: ActionResponse = decode(&response);
    assert_eq!(decoded.status, ActionStatus::Other("partial".into()));
    assert!(!decoded.is_success());
    assert_eq!(encode(&decoded), response);

    // Each enum on its own, known and unknown values.
    fn round<T>(text: &str, expected: T)
    where
        T: DeserializeOwned + Serialize + PartialEq + Debug,
    {
        both_ways(json!(text), &expected);
    }
    round("hourly", SyncMode::Other("hourly".into()));
    round("by_group", UserFilterMode::Other("by_group".into()));
    round("all", UserFilterMode::All);
    round("whitelist", UserFilterMode::Whitelist);
    round("blacklist", UserFilterMode::Blacklist);
    round("team", SourceScope::Other("team".into()));
    round("org", SourceScope::Org);
    round("user", SourceScope::User);
    round("destructive", ActionMode::Other("destructive".into()));
    round("read", ActionMode::Read);
    round("write", ActionMode::Write);
    round("geo", SearchValueType::Other("geo".into()));
    round(
        "document_archived",
        EventType::Other("document_archived".into()),
    );
    round("partial", ActionStatus::Other("partial".into()));
    round("success", ActionStatus::Success);
    round("error", ActionStatus::Error);
    // Case matters: the wire strings are lowercase.
    round("Full", SyncMode::Other("Full".into()));
    // Display and FromStr agree with the wire.
    assert_eq!(SyncMode::Other("hourly".into()).to_string(), "hourly");
    assert_eq!(
        "hourly".parse::<SyncMode>(),
        Ok(SyncMode::Other("hourly".into()))
    );
    assert_eq!("realtime".parse::<SyncMode>(), Ok(SyncMode::Realtime));
}

const RFC3339: &str = "2026-12-03T16:08:16Z";
const EXPANDED: &str = "+002026-12-03T16:08:16.248478000Z";
const EXPANDED_MICROS: i64 = 1_796_314_096_248_478;
const INVALID: [&str; 8] = [
    "yesterday",
    "",
    "2026-12-03",
    "2026-13-03T16:08:16Z",
    "2026-12-03T16:08:16",
    "+002026-12-03",
    "-002026-12-03T16:08:16Z",
    "+0x2026-12-03T16:08:16Z",
];

#[test]
fn parse_timestamp_accepts_both_forms() {
    let a = parse_timestamp(RFC3339).unwrap();
    assert_eq!(a.timestamp(), 1_796_314_096);
    let b = parse_timestamp(EXPANDED).unwrap();
    assert_eq!(b.timestamp_micros(), EXPANDED_MICROS);
    assert_eq!(
        parse_timestamp("+002026-12-03T16:08:16.000000000Z").unwrap(),
        a
    );
    assert_eq!(parse_timestamp("2026-12-03T17:08:16+01:00").unwrap(), a);
    for text in INVALID {
        let error = parse_timestamp(text).expect_err(text);
        assert!(
            error.contains(&format!("`{text}`")),
            "error for {text:?} does not name it: {error}"
        );
    }
}

/// One place a timestamp is decoded: (name, base JSON, pointer of the
/// timestamp, decode-and-read-back-as-micros).
type Probe = (
    &'static str,
    Value,
    &'static str,
    fn(&Value) -> Result<Option<i64>, String>,
);

fn timestamp_probes() -> Vec<Probe> {
    fn via<T: DeserializeOwned>(
        json: &Value,
        read: impl Fn(T) -> Option<i64>,
    ) -> Result<Option<i64>, String> {
        serde_json::from_value::<T>(json.clone())
            .map(read)
            .map_err(|e| e.to_string())
    }
    let metadata_event = document_created_json();
    let person = json!({"type": "person_sync", "sync_run_id": "r", "source_id": "s",
        "person": full_person_json()});
    let sync = json!({"sync_run_id": "r", "source_id": "s", "sync_mode": "full",
        "last_sync_at": RFC3339});
    vec![
        (
            "metadata.created_at",
            json!({"created_at": RFC3339}),
            "/created_at",
            |j| via::<DocumentMetadata>(j, |m| m.created_at.map(|t| t.timestamp_micros())),
        ),
        (
            "metadata.updated_at",
            json!({"updated_at": RFC3339}),
            "/updated_at",
            |j| via::<DocumentMetadata>(j, |m| m.updated_at.map(|t| t.timestamp_micros())),
        ),
        (
            "document_created metadata.created_at",
            metadata_event,
            "/metadata/created_at",
            |j| {
                via::<ConnectorEvent>(j, |e| match e {
                    ConnectorEvent::DocumentCreated { metadata, .. } => {
                        metadata.created_at.map(|t| t.timestamp_micros())
                    }
                    _ => None,
                })
            },
        ),
        (
            "person.source_updated_at",
            person,
            "/person/source_updated_at",
            |j| {
                via::<ConnectorEvent>(j, |e| match e {
                    ConnectorEvent::PersonSync { person, .. } => {
                        person.source_updated_at.map(|t| t.timestamp_micros())
                    }
                    _ => None,
                })
            },
        ),
        ("SyncRequest.last_sync_at", sync, "/last_sync_at", |j| {
            via::<SyncRequest>(j, |r| r.last_sync_at.map(|t| t.timestamp_micros()))
        }),
        ("Source.created_at", source_row_json(), "/created_at", |j| {
            via::<Source>(j, |s| Some(s.created_at.timestamp_micros()))
        }),
        ("Source.updated_at", source_row_json(), "/updated_at", |j| {
            via::<Source>(j, |s| Some(s.updated_at.timestamp_micros()))
        }),
        (
            "ServiceCredential.created_at",
            credential_row_json(),
            "/created_at",
            |j| via::<ServiceCredential>(j, |c| Some(c.created_at.timestamp_micros())),
        ),
        (
            "ServiceCredential.updated_at",
            credential_row_json(),
            "/updated_at",
            |j| via::<ServiceCredential>(j, |c| Some(c.updated_at.timestamp_micros())),
        ),
        (
            "ServiceCredential.expires_at",
            credential_row_json(),
            "/expires_at",
            |j| via::<ServiceCredential>(j, |c| c.expires_at.map(|t| t.timestamp_micros())),
        ),
        (
            "ServiceCredential.last_validated_at",
            credential_row_json(),
            "/last_validated_at",
            |j| via::<ServiceCredential>(j, |c| c.last_validated_at.map(|t| t.timestamp_micros())),
        ),
        (
            "ActionRequest.source.created_at",
            json!({"action": "a", "source": source_row_json()}),
            "/source/created_at",
            |j| via::<ActionRequest>(j, |r| r.source.map(|s| s.created_at.timestamp_micros())),
        ),
        (
            "ActionRequest.credentials.created_at",
            json!({"action": "a", "credentials": credential_row_json()}),
            "/credentials/created_at",
            |j| {
                via::<ActionRequest>(j, |r| {
                    r.credentials.map(|c| c.created_at.timestamp_micros())
                })
            },
        ),
    ]
}

#[test]
fn every_timestamp_field_accepts_both_forms_and_rejects_garbage() {
    for (name, base, pointer, read) in timestamp_probes() {
        let rfc = read(&set(&base, pointer, json!(RFC3339)))
            .unwrap_or_else(|e| panic!("{name}: RFC 3339 refused: {e}"));
        assert_eq!(rfc, Some(1_796_314_096_000_000), "{name}");
        let expanded = read(&set(&base, pointer, json!(EXPANDED)))
            .unwrap_or_else(|e| panic!("{name}: six-digit year refused: {e}"));
        assert_eq!(expanded, Some(EXPANDED_MICROS), "{name}");
        for text in INVALID {
            let error = read(&set(&base, pointer, json!(text)))
                .err()
                .unwrap_or_else(|| panic!("{name}: {text:?} accepted"));
            assert!(
                error.contains(&format!("`{text}`")),
                "{name}: error for {text:?} does not name it: {error}"
            );
        }
        // A number is not a timestamp.
        assert!(
            read(&set(&base, pointer, json!(1_796_314_096))).is_err(),
            "{name}"
        );
    }
}

#[test]
fn timestamps_are_written_as_rfc3339_with_z() {
    let request: SyncRequest = decode(&json!({
        "sync_run_id": "r", "source_id": "s", "sync_mode": "full",
        "last_sync_at": "+002026-12-03T16:08:16.000000000Z"
    }));
    assert_eq!(
        encode(&request)["last_sync_at"],
        json!("2026-12-03T16:08:16Z")
    );
    let source: Source = decode(&source_row_json());
    let encoded = encode(&source);
    assert_eq!(encoded["created_at"], json!("2026-12-03T16:08:16.248478Z"));
    assert_eq!(encoded["updated_at"], json!("2026-12-03T16:08:17Z"));
    let credential: ServiceCredential = decode(&credential_row_json());
    let encoded = encode(&credential);
    assert_eq!(encoded["expires_at"], json!("2027-01-01T00:00:00Z"));
    let person: PersonSyncRecord = decode(&set(
        &full_person_json(),
        "/source_updated_at",
        json!("2026-12-03T10:08:16-06:00"),
    ));
    assert_eq!(
        encode(&person)["source_updated_at"],
        json!("2026-12-03T16:08:16Z")
    );
}

// ---------------------------------------------------------------------------
// 4. The captured real-manager answers
// ---------------------------------------------------------------------------

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/manager");

fn fixture(name: &str) -> String {
    let path = format!("{FIXTURES}/{name}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A whole HTTP response as captured.
#[derive(Debug)]
struct Captured {
    status: u16,
    reason: String,
    content_type: String,
    body: String,
}

fn parse_http(name: &str) -> Captured {
    let text = fixture(name);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{name}: no blank line after the headers"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{name}: {status_line}");
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{name}: bad status line {status_line}"));
    let reason = parts.next().unwrap_or_default().to_owned();
    let mut content_type = None;
    let mut content_length = None;
    for line in lines {
        let (key, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{name}: bad header {line}"));
        match key.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(value.trim().to_owned()),
            "content-length" => content_length = Some(value.trim().parse::<usize>().unwrap()),
            other => panic!("{name}: unexpected header {other}"),
        }
    }
    let length = content_length.unwrap_or_else(|| panic!("{name}: no content-length"));
    assert!(
        rest.len() >= length,
        "{name}: body shorter than content-length"
    );
    let (body, tail) = rest.split_at(length);
    // The capture ends with one newline after the body.
    assert!(tail.is_empty() || tail == "\n", "{name}: trailing {tail:?}");
    Captured {
        status,
        reason,
        content_type: content_type.unwrap_or_else(|| panic!("{name}: no content-type")),
        body: body.to_owned(),
    }
}

/// What a captured `.http` file must hold.
enum Expect {
    Status(&'static str),
    Error(&'static str),
    Content(&'static str),
    Text(&'static str),
}

const JSON_TYPE: &str = "application/json";
const TEXT_TYPE: &str = "text/plain; charset=utf-8";

/// Every `.http` capture: (file, status, reason, content type, body).
const HTTP_FIXTURES: [(&str, u16, &str, &str, Expect); 12] = [
    (
        "complete-run-not-running.http",
        200,
        "OK",
        JSON_TYPE,
        Expect::Status("ok"),
    ),
    (
        "content-ok.http",
        200,
        "OK",
        JSON_TYPE,
        Expect::Content("01M8YBAYNXHJK9N97EBETV67YQ"),
    ),
    (
        "credentials-none.http",
        404,
        "Not Found",
        JSON_TYPE,
        Expect::Error("Credentials not found for source: 01M8YAN0X3QKNSJ702BPWZVW16"),
    ),
    (
        "events-bad-json.http",
        400,
        "Bad Request",
        TEXT_TYPE,
        Expect::Text("Failed to parse the request body as JSON: sync_run_id: EOF while parsing a value at line 1 column 15"),
    ),
    (
        "events-missing-field.http",
        422,
        "Unprocessable Entity",
        TEXT_TYPE,
        Expect::Text("Failed to deserialize the JSON body into the target type: missing field `source_id` at line 1 column 19"),
    ),
    (
        "events-no-content-type.http",
        415,
        "Unsupported Media Type",
        TEXT_TYPE,
        Expect::Text("Expected request with `Content-Type: application/json`"),
    ),
    (
        "events-run-not-running.http",
        400,
        "Bad Request",
        JSON_TYPE,
        Expect::Error("Events may only be emitted for a running sync run"),
    ),
    (
        "events-unknown-run.http",
        400,
        "Bad Request",
        JSON_TYPE,
        Expect::Error("Unknown sync run"),
    ),
    (
        "register-bad-schema.http",
        400,
        "Bad Request",
        JSON_TYPE,
        Expect::Error("x.a input_schema.properties.p.$ref is not supported"),
    ),
    (
        "register-unreachable.http",
        400,
        "Bad Request",
        JSON_TYPE,
        Expect::Error("Connector health check failed at http://127.0.0.1:1. Registration rejected."),
    ),
    (
        "scanned-run-not-running.http",
        200,
        "OK",
        JSON_TYPE,
        Expect::Status("ok"),
    ),
    (
        "source-unknown.http",
        404,
        "Not Found",
        JSON_TYPE,
        Expect::Error("Source not found: 01NOPENOPENOPENOPENOPENOPE"),
    ),
];

const JSON_FIXTURES: [&str; 3] = ["source.json", "credentials.json", "sync-config.json"];

#[test]
fn every_fixture_file_is_covered() {
    let mut known: BTreeSet<&str> = HTTP_FIXTURES.iter().map(|f| f.0).collect();
    known.extend(JSON_FIXTURES);
    known.insert("README.md");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(FIXTURES).unwrap_or_else(|e| panic!("{FIXTURES}: {e}")) {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            known.contains(name.as_str()),
            "fixture {name} is not covered by tests/models.rs"
        );
        seen.insert(name);
    }
    let missing: Vec<_> = known.iter().filter(|k| !seen.contains(**k)).collect();
    assert!(missing.is_empty(), "fixtures missing: {missing:?}");

    // The README documents every capture.
    let readme = fixture("README.md");
    for name in known.iter().filter(|n| **n != "README.md") {
        assert!(
            readme.contains(&format!("`{name}`")),
            "README misses {name}"
        );
    }
}

#[test]
fn fixture_source_json() {
    let json = fixture_json("source.json");
    let source: Source = decode(&json);
    assert_eq!(source.id, "01M8YAKRHTSWK1WSMZYJYQD08Y");
    assert_eq!(source.name, "realcm fake web source");
    assert_eq!(source.source_type, "web");
    assert_eq!(source.integration_type.as_deref(), Some("connector"));
    assert_eq!(source.config, json!({}));
    assert!(source.is_active);
    assert!(!source.is_deleted);
    assert_eq!(source.scope, SourceScope::Org);
    assert_eq!(source.user_filter_mode, UserFilterMode::All);
    assert_eq!(source.user_whitelist, None);
    assert_eq!(source.user_blacklist, None);
    assert_eq!(source.connector_state, None);
    assert_eq!(
        source.checkpoint,
        Some(json!({"cursor": "page-2", "seen": 1}))
    );
    assert_eq!(source.sync_interval_seconds, Some(3600));
    assert_eq!(source.created_at, ts!("2026-12-03T16:08:16.248478Z"));
    assert_eq!(source.created_at.timestamp_micros(), EXPANDED_MICROS);
    assert_eq!(source.updated_at, ts!("2026-12-03T16:08:16.689442Z"));
    assert_eq!(source.created_by, "01JGF7V3E0Y2R1X8P5Q7W9T4N6");
    assert!(source.should_index_user("anyone@example.com"));

    // Re-encoded: the same row, timestamps in RFC 3339.
    let expected = set(
        &set(&json, "/created_at", json!("2026-12-03T16:08:16.248478Z")),
        "/updated_at",
        json!("2026-12-03T16:08:16.689442Z"),
    );
    both_ways(expected, &source);
}

#[test]
fn fixture_credentials_json() {
    let json = fixture_json("credentials.json");
    let credential: ServiceCredential = decode(&json);
    assert_eq!(credential.id, "01M8YAZZZZZZZZZZZZZZZZZZZZ");
    assert_eq!(credential.source_id, "01M8YAKRHTSWK1WSMZYJYQD08Y");
    assert_eq!(credential.user_id, None);
    assert_eq!(credential.provider, "github");
    assert_eq!(credential.auth_type, "bearer_token");
    assert_eq!(credential.principal_email, None);
    assert_eq!(credential.credentials["token"], json!("t0k"));
    assert_eq!(credential.credentials, json!({"token": "t0k"}));
    assert_eq!(credential.config, json!({}));
    assert_eq!(credential.expires_at, None);
    assert_eq!(credential.last_validated_at, None);
    assert_eq!(
        credential.created_at.timestamp_micros(),
        1_796_314_126_354_247
    );
    assert_eq!(credential.updated_at, credential.created_at);

    // Re-encoded: null optionals omitted, RFC 3339 timestamps.
    both_ways(
        json!({
            "id": "01M8YAZZZZZZZZZZZZZZZZZZZZ",
            "source_id": "01M8YAKRHTSWK1WSMZYJYQD08Y",
            "provider": "github",
            "auth_type": "bearer_token",
            "credentials": {"token": "t0k"},
            "config": {},
            "created_at": "2026-12-03T16:08:46.354247Z",
            "updated_at": "2026-12-03T16:08:46.354247Z"
        }),
        &credential,
    );
}

#[test]
fn fixture_sync_config_json() {
    let json = fixture_json("sync-config.json");
    let config: SyncConfigResponse = decode(&json);
    assert_eq!(config.config, json!({}));
    assert_eq!(config.credentials, json!({"token": "t0k"}));
    assert_eq!(config.connector_state, None);
    assert_eq!(
        config.checkpoint,
        Some(json!({"cursor": "page-2", "seen": 1}))
    );
    assert_eq!(config.source_type.as_deref(), Some("web"));
    assert_eq!(config.user_filter_mode, UserFilterMode::All);
    assert_eq!(config.user_whitelist, None);
    assert_eq!(config.user_blacklist, None);
    both_ways(json, &config);
}

#[test]
fn fixture_http_captures() {
    for (name, status, reason, content_type, expect) in HTTP_FIXTURES {
        let captured = parse_http(name);
        assert_eq!(captured.status, status, "{name}");
        assert_eq!(captured.reason, reason, "{name}");
        assert_eq!(captured.content_type, content_type, "{name}");
        let body = &captured.body;
        match expect {
            Expect::Status(expected) => {
                let json: Value = serde_json::from_str(body).unwrap();
                let decoded: StatusResponse = decode(&json);
                assert_eq!(decoded.status, expected, "{name}");
                assert_eq!(decoded, StatusResponse::ok(), "{name}");
                assert_eq!(encode(&decoded), json, "{name}");
            }
            Expect::Error(expected) => {
                let json: Value = serde_json::from_str(body).unwrap();
                let decoded: ErrorResponse = decode(&json);
                assert_eq!(decoded.error, expected, "{name}");
                assert_eq!(encode(&decoded), json, "{name}");
            }
            Expect::Content(expected) => {
                let json: Value = serde_json::from_str(body).unwrap();
                let decoded: ContentResponse = decode(&json);
                assert_eq!(decoded.content_id, expected, "{name}");
                // A ULID: 26 Crockford base32 characters.
                assert_eq!(decoded.content_id.len(), 26);
                assert!(decoded
                    .content_id
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
                assert_eq!(encode(&decoded), json, "{name}");
            }
            Expect::Text(expected) => {
                // The extractor's plain-text rejections are not JSON at all.
                assert_eq!(body, expected, "{name}");
                assert!(
                    serde_json::from_str::<Value>(body).is_err(),
                    "{name}: plain-text body parsed as JSON"
                );
                assert!(
                    serde_json::from_str::<ErrorResponse>(body).is_err(),
                    "{name}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 5. Debug never shows secrets
// ---------------------------------------------------------------------------

#[test]
fn debug_hides_config_and_credentials() {
    const SECRETS: [&str; 4] = [
        "SOURCE-CONFIG-SECRET-4411",
        "CRED-SECRET-9931",
        "CRED-REFRESH-5521",
        "CRED-CONFIG-SECRET-7731",
    ];
    let assert_hidden = |what: &str, debug: String| {
        for secret in SECRETS {
            assert!(
                !debug.contains(secret),
                "{what} Debug shows {secret}: {debug}"
            );
        }
        // Secret-looking keys are hidden too, not only their values.
        for key in ["api_key", "access_token", "client_secret", "refresh_token"] {
            assert!(!debug.contains(key), "{what} Debug shows {key}: {debug}");
        }
    };

    let source = source_model();
    assert_hidden("Source", format!("{source:?}"));
    assert_hidden("Source (alternate)", format!("{source:#?}"));
    assert!(format!("{source:?}").contains("01SRC"));

    let credential = credential_model();
    assert_hidden("ServiceCredential", format!("{credential:?}"));
    assert_hidden("ServiceCredential (alternate)", format!("{credential:#?}"));
    assert!(format!("{credential:?}").contains("01CRED"));

    let sync_config = SyncConfigResponse {
        config: source.config.clone(),
        credentials: credential.credentials.clone(),
        connector_state: None,
        checkpoint: Some(json!({"cursor": "c"})),
        source_type: Some("github".into()),
        user_filter_mode: UserFilterMode::All,
        user_whitelist: None,
        user_blacklist: None,
    };
    let mut with_config_secret = sync_config.clone();
    with_config_secret.config = credential.config.clone();
    assert_hidden("SyncConfigResponse", format!("{sync_config:?}"));
    assert_hidden("SyncConfigResponse", format!("{with_config_secret:#?}"));
    assert!(format!("{sync_config:?}").contains("github"));

    // Wrapped in an ActionRequest, still hidden.
    let request = ActionRequest {
        action: "a".into(),
        params: json!({}),
        credentials: Some(credential),
        source: Some(source),
        actor_email: None,
    };
    assert_hidden("ActionRequest", format!("{request:?}"));

    // The fixture's real secret too.
    let real: ServiceCredential = decode(&fixture_json("credentials.json"));
    assert!(!format!("{real:?}").contains("t0k"));
    let real: SyncConfigResponse = decode(&fixture_json("sync-config.json"));
    assert!(!format!("{real:?}").contains("t0k"));
}

/// Found by the `models_roundtrip` fuzz target: without serde_json's
/// `float_roundtrip`, `1.1111111111111112e21` decoded one ULP off the value
/// it encodes to, so decode, encode, decode changed an attribute.
#[test]
fn floats_survive_a_round_trip_exactly() {
    let body = r#"{"type":"document_created","sync_run_id":"r","source_id":"s","document_id":"d","content_id":"c","metadata":{},"permissions":{"public":true,"users":[],"groups":[]},"attributes":{"a":1.1111111111111112e+21,"b":0.30000000000000004,"c":5e-324}}"#;
    let first: omni_connector::ConnectorEvent = serde_json::from_str(body).unwrap();
    let encoded = serde_json::to_string(&first).unwrap();
    let second: omni_connector::ConnectorEvent = serde_json::from_str(&encoded).unwrap();
    assert_eq!(first, second, "{encoded}");
}
