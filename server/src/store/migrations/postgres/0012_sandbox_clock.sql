-- The sandbox's clock offset: `wheelhouse admin clock advance` moves the time of every server on
-- this database forward (sandbox provider only), so a demo or a browser test can watch a node
-- reach its lifespan and be replaced in the window. One row, id 1.
CREATE TABLE sandbox_clock (
    id        BIGINT PRIMARY KEY,
    offset_ms BIGINT NOT NULL
);
