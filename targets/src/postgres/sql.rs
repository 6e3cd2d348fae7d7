//! The SQL faultline's PostgreSQL clients run: the schema (one table per workload) and each
//! micro-op as one statement.

use workloads::bank;

/// Creates the tables (idempotent) and opens the accounts with their initial balances.
pub fn schema() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS lists (k bigint PRIMARY KEY, v bigint[] NOT NULL);
         CREATE TABLE IF NOT EXISTS registers (k bigint PRIMARY KEY, v bigint);
         CREATE TABLE IF NOT EXISTS accounts (id bigint PRIMARY KEY, balance bigint NOT NULL);
         INSERT INTO accounts SELECT g, {} FROM generate_series(0, {}) g ON CONFLICT DO NOTHING;",
        bank::INITIAL,
        bank::ACCOUNTS - 1
    )
}

/// Whether the database exists (run in the `postgres` database).
pub const HAS_DATABASE: &str = "SELECT 1 FROM pg_database WHERE datname = $1";

/// Reads the list at key $1.
pub const READ_LIST: &str = "SELECT v FROM lists WHERE k = $1";

/// Appends $2 to the list at key $1 in one statement (a key's first append creates its row).
pub const APPEND: &str = "INSERT INTO lists (k, v) VALUES ($1, ARRAY[$2::bigint]) \
                          ON CONFLICT (k) DO UPDATE SET v = lists.v || $2::bigint";

/// Reads register $1.
pub const READ_REGISTER: &str = "SELECT v FROM registers WHERE k = $1";

/// Writes $2 to register $1.
pub const WRITE_REGISTER: &str =
    "INSERT INTO registers (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v";

/// Every balance.
pub const READ_ACCOUNTS: &str = "SELECT id, balance FROM accounts ORDER BY id";

/// One account's balance.
pub const READ_BALANCE: &str = "SELECT balance FROM accounts WHERE id = $1";

/// Sets account $1's balance to $2 (the value the transfer computed from what it read).
pub const SET_BALANCE: &str = "UPDATE accounts SET balance = $2 WHERE id = $1";
