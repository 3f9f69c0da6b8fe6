//! Health probes, request ids and the headers every response carries.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use wheelhouse::store::Database;

use crate::on_both_databases;
use crate::support::{read, TestApp};

on_both_databases!(
    ready_while_the_database_answers_and_not_after,
    |database: Database| async move {
        let app = TestApp::new(database.clone());
        let (response, body) = app.get("/readyz").await;
        assert_eq!(response.status(), StatusCode::OK, "{body}");
        assert!(body.contains("\"database\":\"ok\""), "{body}");

        database.close().await;
        let (response, body) = app.get("/readyz").await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body.contains("unreachable"), "{body}");

        let (response, _) = app.get("/healthz").await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "the process is still alive"
        );
    }
);

on_both_databases!(
    every_response_has_a_request_id_and_security_headers,
    |database: Database| async move {
        let app = TestApp::new(database);
        for path in ["/healthz", "/", "/no-such-page"] {
            let (response, _) = app.get(path).await;
            let headers = response.headers();
            let request_id = headers.get("x-request-id").expect("request id");
            assert_eq!(request_id.len(), 36, "a UUID: {request_id:?}");
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert_eq!(headers["x-frame-options"], "DENY");
            assert!(headers["content-security-policy"]
                .to_str()
                .expect("ascii")
                .contains("frame-ancestors 'none'"));
        }
    }
);

on_both_databases!(
    a_request_id_sent_by_the_caller_is_kept,
    |database: Database| async move {
        let app = TestApp::new(database);
        let request = Request::get("/healthz")
            .header("x-request-id", "trace-me-42")
            .body(Body::empty())
            .expect("request");
        let (response, _) = read(app.send(request).await).await;
        assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    }
);
