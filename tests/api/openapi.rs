//! `GET /openapi.json`: the contract schemathesis fuzzes (scripts/contract.sh).

use crate::helpers::*;

#[test]
fn the_document_describes_every_json_route_with_its_permission() {
    let app = spawn_app();
    let response = app.get("/openapi.json", None);
    assert_eq!(response.status, 200);
    let document = response.json();
    assert_eq!(document["openapi"], "3.1.0");
    let operations = [
        ("/drinks", "get", None),
        ("/drinks", "post", Some("post:drinks")),
        ("/drinks-detail", "get", Some("get:drinks-detail")),
        ("/drinks/{id}", "get", Some("get:drinks-detail")),
        ("/drinks/{id}", "patch", Some("patch:drinks")),
        ("/drinks/{id}", "delete", Some("delete:drinks")),
        ("/healthz", "get", None),
        ("/readyz", "get", None),
    ];
    for (path, method, permission) in operations {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        match permission {
            Some(permission) => assert_eq!(
                operation["security"][0]["bearer"][0], permission,
                "{method} {path}"
            ),
            None => assert!(
                operation.get("security").is_none(),
                "{method} {path} is public"
            ),
        }
    }
    for (path, item) in document["paths"].as_object().expect("paths") {
        let head = &item["head"];
        assert!(head.is_object(), "HEAD {path} is documented beside GET");
        assert_eq!(head["security"], item["get"]["security"], "HEAD {path}");
        let responses = head["responses"].as_object().expect("responses");
        assert_eq!(
            responses.keys().collect::<Vec<_>>(),
            item["get"]["responses"]
                .as_object()
                .expect("responses")
                .keys()
                .collect::<Vec<_>>(),
            "HEAD {path} answers as GET does"
        );
        assert!(
            responses.values().all(|r| r.get("content").is_none()),
            "HEAD {path} has no body"
        );
    }
    assert_eq!(
        document["paths"]["/drinks-detail"]["get"]["responses"]["401"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/ErrorBody",
        "the shared errors refer to the one ErrorBody schema"
    );
    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");
    let patch = &document["paths"]["/drinks/{id}"]["patch"]["responses"];
    for status in [
        "200", "400", "401", "403", "404", "409", "412", "413", "415", "422", "503",
    ] {
        assert!(patch[status].is_object(), "PATCH documents {status}");
    }
    let title = &document["components"]["schemas"]["DrinkTitle"];
    assert_eq!(
        title["maxLength"], 80,
        "the limits come from the validators"
    );
    assert!(
        document["components"]["schemas"]["Color"]["pattern"]
            .as_str()
            .is_some_and(|p| p.contains("[rR][eE][bB][eE][cC][cC][aA]"))
    );
}
