//! Lower-case hex, for key ids, entity tags and folder names.

/// `bytes` as lower-case hex, two digits each.
pub fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
