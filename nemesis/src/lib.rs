//! The nemesis: faults as intents (partitions, kills, pauses, clock skew, link degradation),
//! their schedules, and how an intent resolved against the cluster becomes concrete commands.
