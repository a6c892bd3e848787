-- The tables of {{name}}: who may sign in, the invoices, and the revenue report that
-- invoice.created events feed (with the ids of the events already counted).
CREATE TABLE users (
    name VARCHAR(64) PRIMARY KEY,
    password_hash VARCHAR(255) NOT NULL,
    roles JSON NOT NULL
);

CREATE TABLE invoices (
    id VARCHAR(32) PRIMARY KEY,
    customer VARCHAR(200) NOT NULL,
    items JSON NOT NULL,
    state VARCHAR(16) NOT NULL,
    net DOUBLE PRECISION NOT NULL,
    tax DOUBLE PRECISION NOT NULL,
    gross DOUBLE PRECISION NOT NULL,
    currency VARCHAR(3) NOT NULL,
    created_by VARCHAR(64)
);

CREATE TABLE revenue (
    customer VARCHAR(200) PRIMARY KEY,
    gross DOUBLE PRECISION NOT NULL
);

CREATE TABLE processed_events (
    id VARCHAR(64) PRIMARY KEY
);
