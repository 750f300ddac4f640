//! Request ids: every answer carries one, and a client's own is kept when plain.

use crate::helpers::*;

#[test]
fn every_answer_carries_a_request_id() {
    let app = spawn_app();
    let first = app.get("/drinks", None);
    let second = app.get("/no-such-page", None);
    let first_id = first.header("x-request-id").expect("an id on a success");
    let second_id = second.header("x-request-id").expect("an id on an error");
    assert_eq!(first_id.len(), 16);
    assert_ne!(first_id, second_id);
}

#[test]
fn a_plain_client_request_id_is_kept_and_anything_else_replaced() {
    let app = spawn_app();
    let kept = app.request(
        "GET",
        "/drinks",
        &[("X-Request-Id", "app-42.retry_1")],
        None,
    );
    assert_eq!(kept.header("x-request-id"), Some("app-42.retry_1"));
    let long = "a".repeat(65);
    for hostile in ["has space", "quote\"s", long.as_str()] {
        let replaced = app.request("GET", "/drinks", &[("X-Request-Id", hostile)], None);
        let id = replaced.header("x-request-id").expect("an id");
        assert_ne!(id, hostile);
        assert_eq!(id.len(), 16);
    }
}
