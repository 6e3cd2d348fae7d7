//! Systems under test: for each, its lifecycle as commands, a client that executes workload ops,
//! and what the nemesis needs to know about it (who leads, which pid).
