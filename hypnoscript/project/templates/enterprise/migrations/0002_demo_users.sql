-- Two demo users (Argon2 hashes made with PasswordHash): ada / lovelace with the billing and
-- finance roles, bob / builder with billing. Replace them before going anywhere near production.
INSERT INTO users (name, password_hash, roles) VALUES
    ('ada', '$argon2id$v=19$m=65536,t=3,p=4$WvP4RvcBHpvJkesywq5LSg$sgl6qJWiIU+7pfea9Kf6WWSSeFAaOyyq/aS3jZXpZ9E', '["billing", "finance"]'),
    ('bob', '$argon2id$v=19$m=65536,t=3,p=4$CqRApnJPlG4aEIHZm157YQ$B0wqGAJx4lozCOUgVL2s3KqJqG8AVPjkaexf1AKpbVc', '["billing"]');
