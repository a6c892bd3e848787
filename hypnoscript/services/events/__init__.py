"""Events: `Publish`, durable topics on an embedded queue or a broker, consumers and schedules run
by `hyp worker`."""
