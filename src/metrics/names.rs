//! Every metric's name, in one place: the code records them, and the
//! Grafana dashboard, the alert rules and the tests read them.

/// Requests answered, by route pattern (never the raw path), method and
/// status class.
pub const HTTP_REQUESTS: &str = "coffee_shop_http_requests_total";
/// How long requests took, by route pattern and method.
pub const HTTP_REQUEST_SECONDS: &str = "coffee_shop_http_request_duration_seconds";
/// Requests being handled right now.
pub const HTTP_IN_FLIGHT: &str = "coffee_shop_http_requests_in_flight";
/// HTTPS connections whose TLS handshake completed.
pub const TLS_HANDSHAKES: &str = "coffee_shop_tls_handshakes_total";
/// When the served certificate expires (Unix seconds).
pub const TLS_CERTIFICATE_EXPIRY_TIMESTAMP: &str =
    "coffee_shop_tls_certificate_expiry_timestamp_seconds";

/// Bearer tokens accepted.
pub const TOKENS_VERIFIED: &str = "coffee_shop_tokens_verified_total";
/// Bearer tokens refused, by reason (`AuthError::reason`).
pub const TOKENS_REFUSED: &str = "coffee_shop_tokens_refused_total";
/// Verified-token cache lookups, by result (`hit`, `miss`).
pub const TOKEN_CACHE: &str = "coffee_shop_token_cache_total";

/// Fetches of the provider's key set, by outcome (`ok`, `error`).
pub const JWKS_FETCHES: &str = "coffee_shop_jwks_fetches_total";
/// Seconds since the key set was last fetched successfully (since start-up
/// when it never was).
pub const JWKS_LAST_SUCCESS_AGE_SECONDS: &str = "coffee_shop_jwks_last_success_age_seconds";
/// Signing keys trusted now.
pub const SIGNING_KEYS_LOADED: &str = "coffee_shop_signing_keys_loaded";

/// Changes committed together by the writer.
pub const DB_WRITE_BATCH_SIZE: &str = "coffee_shop_db_write_batch_size";
/// How long a commit took.
pub const DB_COMMIT_SECONDS: &str = "coffee_shop_db_commit_duration_seconds";
/// Changes waiting for the writer.
pub const DB_WRITER_QUEUE: &str = "coffee_shop_db_writer_queue_depth";
/// How long a read waited for a pooled connection.
pub const DB_POOL_WAIT_SECONDS: &str = "coffee_shop_db_pool_wait_seconds";
/// The database on disk: the file and its write-ahead log.
pub const DB_SIZE_BYTES: &str = "coffee_shop_db_size_bytes";
/// Times the pre-rendered menu was rebuilt.
pub const MENU_REBUILDS: &str = "coffee_shop_menu_rebuilds_total";
/// Drinks on the menu, as of the last rebuild.
pub const MENU_DRINKS: &str = "coffee_shop_menu_drinks";

/// Admin sign-ins, by outcome (`ok`, `refused`).
pub const SIGNINS: &str = "coffee_shop_admin_signins_total";
/// Admin sessions that have not expired.
pub const SESSIONS_ACTIVE: &str = "coffee_shop_admin_sessions_active";

/// Resident memory of the process.
pub const RESIDENT_MEMORY_BYTES: &str = "coffee_shop_process_resident_memory_bytes";
/// Open file descriptors (sockets, the database, logs).
pub const OPEN_FDS: &str = "coffee_shop_process_open_fds";
/// Seconds since the server started.
pub const UPTIME_SECONDS: &str = "coffee_shop_uptime_seconds";
/// Always 1, labelled with the version, git commit and target.
pub const BUILD_INFO: &str = "coffee_shop_build_info";
/// When the last scheduled backup was made (Unix seconds).
pub const BACKUP_LAST_SUCCESS_TIMESTAMP: &str = "coffee_shop_backup_last_success_timestamp_seconds";
/// When every backup was last in the bucket (Unix seconds).
pub const BACKUP_LAST_UPLOAD_TIMESTAMP: &str = "coffee_shop_backup_last_upload_timestamp_seconds";
/// When a backup or its upload last failed (Unix seconds).
pub const BACKUP_LAST_FAILURE_TIMESTAMP: &str = "coffee_shop_backup_last_failure_timestamp_seconds";
