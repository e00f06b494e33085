-- Admin event numbers in commit order, like the feed's: taken from one
-- counter row that stays locked until the transaction commits. A number
-- taken at insert (BIGSERIAL) lets an event commit after a later one was
-- read, and a server following "events after N" would pass over it.
CREATE TABLE admin_counter (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT  NOT NULL
);
INSERT INTO admin_counter (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM admin_events;
