"""All configuration, read once from IDGRAPH_* environment variables (or a .env file)."""

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

EARLIEST_BIRTH_YEAR = 1900  # the default of Settings.earliest_birth_year
COMMON_VALUE_FACTOR = 4.0  # the default of Settings.common_value_factor


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IDGRAPH_", env_file=".env", extra="ignore")

    store: Literal["falkordb", "neo4j"] = "falkordb"
    data_dir: Path = Path("data")
    graph_name: str = "idgraph"

    neo4j_uri: str = "bolt://localhost:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: str = Field(default="", repr=False)
    neo4j_database: str = "neo4j"
    # Neo4j: a server that does not answer a connection in this long is down; transient
    # errors (deadlocks, a cluster's leader switch) are retried for neo4j_retry_s.
    neo4j_connect_timeout_s: float = Field(default=5.0, gt=0)
    neo4j_retry_s: float = Field(default=10.0, ge=0)

    query_timeout_s: float = Field(default=600.0, gt=0)  # both stores: a query stops after it
    # The service looks this often whether the embedded store's process died, and starts it
    # again from its files (docs/robustness.md).
    store_watch_s: float = Field(default=1.0, gt=0)
    # The embedded server's malloc arenas (glibc's MALLOC_ARENA_MAX), set when this process
    # starts it. 0: the allocator's default, an arena per thread. Fewer hold less memory
    # and write slower (at 100k records, 2: 5-9% less store memory, real-time writes 2.5 ->
    # 3.0 ms; 1: less again, resolve's writes ~15% slower): for a host short of memory
    # (docs/performance.md, "The store's memory").
    falkordb_malloc_arenas: int = Field(default=0, ge=0, le=64)
    # When set (say 10,000): a process that wrote at least this many nodes into an embedded
    # server where another process serves requests (a CLI stage beside `idgraph serve`) has
    # the server reload the graph from a snapshot as it closes (`idgraph settle` does it on
    # demand). FalkorDB serves small writes 1.5-2x slower on a graph built by bulk writes
    # than on the same graph loaded, but every query waits during the reload (~6 s at 100k
    # records, ~1 min at a million) and the server holds more memory after it: off unless
    # chosen (docs/architecture.md, "Writes after bulk work"). 0: never.
    falkordb_reload_after_nodes: int = Field(default=0, ge=0)
    # Seconds the embedded server a command started stays up after the last client has gone,
    # so that the next command attaches to it instead of starting one and loading the graph
    # (0.65 s for 36k records, 5-7 s at 100k); 0: it stops with the command that started it
    # (docs/architecture.md, "The server between commands").
    store_linger_s: float = Field(default=60.0, ge=0)
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    chunk_rows: int = Field(default=10_000, ge=1)
    # A batch stage reads the graph this many profiles at a time, so that what the store
    # holds to answer one read is bounded by this, not by the graph's size (the metrics
    # batch at a million records: one read of every profile's interactions held 1.6 GB).
    read_page: int = Field(default=50_000, ge=1)
    # A folder load into a graph that holds no records yet goes through the store's bulk
    # path (FalkorDB's GRAPH.BULK) when its files hold at least this many bytes (0: any
    # first load; it was faster at every size measured); every load after the first writes
    # with queries. -1: never (docs/ingestion.md).
    bulk_min_bytes: int = Field(default=0, ge=-1)
    # A bulk first load holds the graph it builds in memory until it sends it. The records
    # (customer files) are held whole; events are sent in rounds: once this many source rows
    # are held, the next events file chunk first sends what is held, so the loader's memory
    # for events is bounded by this, not by how many there are (docs/ingestion.md).
    bulk_round_rows: int = Field(default=1_000_000, ge=1)
    # A bulk first load of at least prepare_min_bytes prepares its files (validation,
    # normalisation) in this many worker processes ahead of the loader (forked, they start in
    # milliseconds; a one-file load of 0.6 MB still lost 0.1 s to them); 0, or smaller loads:
    # in the loader's own process (app/ingestion/ahead.py).
    prepare_workers: int = Field(default=2, ge=0)
    prepare_min_bytes: int = Field(default=2_000_000, ge=0)
    max_field_length: int = Field(default=512, ge=8)
    # A file with more columns is refused before it is read (a 50,000-column header made the
    # CSV reader take 773 MB for a 1 MB file).
    max_columns: int = Field(default=1000, ge=1)
    default_country: str = "GB"
    # Dates of birth before this year are blanked as slips (1090 for 1990); a source's mapping
    # may say otherwise (`earliest:`), and a register that goes further back (a genealogy,
    # historical persons) sets this for every source, the API's records included.
    earliest_birth_year: int = Field(default=EARLIEST_BIRTH_YEAR, ge=1, le=9999)

    # Identity resolution (docs/resolution.md)
    match_threshold: float = Field(default=0.5, gt=0, lt=1)  # operational profile threshold
    match_floor: float = Field(default=0.2, ge=0, lt=1)  # MATCHES edges kept from here up
    # A record with a single identifying fact (a name only, a phone only) joins a profile only
    # on a pair this sure; above 1 it never does.
    sparse_threshold: float = Field(default=0.7, gt=0)
    # Average linkage weighs a pair below the floor by how hard its fields push against a
    # match: fully from this many log-odds on, in proportion below, not at all when nothing
    # disagrees (docs/resolution.md).
    against_full: float = Field(default=5.0, gt=0)
    training_pairs: int = Field(default=500, ge=4)
    resolve_workers: int = Field(default=2, ge=1)
    # A blocking value shared by more records than this is no evidence: its block is
    # skipped (batch) and not looked up (real time), and counted.
    block_cap: int = Field(default=50, ge=2)
    # Clustering and the dial work within components of the match graph of at most this
    # many records; a bigger one is first cut along its weakest edges (and said so).
    component_cap: int = Field(default=500, ge=2)
    # Real time and the dial read a component at most this many MATCHES hops deep.
    component_hops: int = Field(default=6, ge=1)
    # A date of birth, e-mail, phone or identifier held by more training records than this
    # many times the 99th percentile of its field's counts (and more than 10) is too common
    # to be evidence (a placeholder such as 1900-01-01): compared as missing. 0: none is.
    common_value_factor: float = Field(default=COMMON_VALUE_FACTOR, ge=0)
    # Training learns on at most this many records (a uniform sample beyond).
    training_sample: int = Field(default=200_000, ge=1000)
    # Training scores at most about this many of its records' candidate pairs (a sample of
    # them beyond, the same pairs for every rule): what it learns from them are shares and
    # sums (docs/resolution.md, "The training pool").
    training_pool_pairs: int = Field(default=300_000, ge=1000)
    score_chunk: int = Field(default=100_000, ge=100)  # pairs per scoring task
    # Survivorship: sources from most to least trusted (a birth date comes from the first).
    source_trust: list[str] = Field(
        default_factory=lambda: ["crm", "loyalty", "webshop", "callcenter"]
    )
    # Link-only resolution: records of these sources are linked across sources only, never
    # within one (each is free of duplicates); empty: deduplicate every record.
    link_only: list[str] = Field(default_factory=list)
    one_to_one: bool = False  # link-only: at most one record per source in a profile
    # The review queue's band of uncertain pairs.
    review_min: float = Field(default=0.2, ge=0, le=1)
    review_max: float = Field(default=0.8, ge=0, le=1)

    # Households (docs/households.md): a YAML file overriding app/households/rules.py defaults
    household_rules_file: Path | None = None

    # Alerts and webhooks (docs/alerts.md)
    alert_rules_file: Path | None = None  # None: the starter rules in app/alerts/rules.yaml
    alert_rules_refresh_s: float = Field(default=5.0, ge=0)  # re-read GraphQL-defined rules
    webhooks: dict[str, str] = Field(default_factory=dict)  # name -> URL (JSON in the env)
    # Webhooks (names in `webhooks`) that receive the change feed: profiles created, merged,
    # split or changed, households whose members changed (docs/resolution.md, change feed).
    change_webhooks: list[str] = Field(default_factory=list)
    webhook_timeout_s: float = Field(default=2.0, gt=0)
    webhook_backoff_s: float = Field(default=2.0, gt=0)  # first retry; doubles per attempt
    webhook_max_backoff_s: float = Field(default=3600.0, gt=0)
    webhook_poll_s: float = Field(default=1.0, gt=0)

    # Customer DNA metrics (docs/metrics.md): a definitions file used instead of the shipped
    # starter set, and how many (time, value) points each metric keeps.
    metrics_file: Path | None = None
    metrics_history: int = Field(default=12, ge=2, le=1000)

    # Access (docs/security.md). The secret signs session cookies and keys the suppression
    # list's hashes; empty: a random one kept in data_dir/secret.key (made on first use).
    # Several servers sharing one store need the same secret.
    secret_key: str = Field(default="", repr=False)
    # OIDC bearer tokens from the company's identity provider: issuer and audience checked,
    # keys from the JWKS URL (cached, refetched for an unknown key id) or a JWKS file.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_jwks_file: Path | None = None
    oidc_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "PS256"])
    oidc_roles_claim: str = "roles"  # a dotted path, e.g. realm_access.roles
    oidc_actor_claim: str = "sub"  # who the token's user is, in the audit trail
    oidc_customer_claim: str = "customer_id"  # role self: the customerId of the person
    oidc_leeway_s: int = Field(default=30, ge=0)
    # The identity provider's role names for the built-in roles, e.g. {"crm-admins": "admin"}.
    role_names: dict[str, str] = Field(default_factory=dict)
    # Extra roles or changed ones: name -> capabilities (app/access/roles.py lists them).
    roles: dict[str, list[str]] = Field(default_factory=dict)
    api_key_days: int = Field(default=90, ge=1)  # default expiry of a new API key
    admin_key_on_first_start: bool = True  # serve: make and print a local admin key once
    session_ttl_s: int = Field(default=3600, ge=60)  # the pages' session cookie
    session_cookie_secure: bool = True
    session_cookie_samesite: Literal["strict", "lax"] = "strict"

    # A hardened API (docs/security.md): limits computed before a query runs, a time budget
    # that cancels the work, introspection, CORS and per-identity rate limits.
    max_query_depth: int = Field(default=15, ge=2)
    max_query_cost: int = Field(default=50_000, ge=1)
    max_query_tokens: int = Field(default=5000, ge=100)
    max_aliases: int = Field(default=100, ge=1)  # fields one selection may hold, aliases included
    list_estimate: int = Field(default=10, ge=1)  # cost of a list with no `first`
    request_timeout_s: float = Field(default=30.0, gt=0)
    # Queries estimated above this cost run on an event loop of their own in a thread, so a
    # cheap query is not kept waiting behind them (the pages' 360 costs ~5,000; the API's
    # customer 360 ~500).
    heavy_query_cost: int = Field(default=10_000, ge=1)
    # How long a thread may hold Python's interpreter lock before another that waits gets it
    # (sys.setswitchinterval), set while the server runs. Python's 5 ms made each cheap
    # answer during a heavy query wait ~50 ms (docs/architecture.md, "Serving").
    thread_switch_ms: float = Field(default=1.0, gt=0, le=100)
    introspection: bool = True
    cors_origins: list[str] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=600, ge=1)
    rate_limit_burst: int = Field(default=120, ge=1)
    failed_sign_ins_per_minute: int = Field(default=30, ge=1)  # per client address

    # Privacy: quarantine lines keep the raw values of bad rows this many days, then only
    # row, column and reason.
    quarantine_retention_days: float = Field(default=30.0, ge=0)

    host: str = "127.0.0.1"
    port: int = 8000
    # `idgraph serve` processes over one store; GraphQL execution is Python, one core each
    # (docs/architecture.md, "Serving"). Rate limits are counted per process.
    workers: int = Field(default=1, ge=1, le=64)
    demo_people: int = 1500
    demo_seed: int = 7
    # First day of the demo's year of interactions. None: the year up to today, so metric
    # windows ending now and events recorded now fall in the same period as the demo's data.
    demo_start: date | None = None

    @property
    def falkordb_file(self) -> Path:
        return self.data_dir / "graph.rdb"

    @property
    def model_file(self) -> Path:
        return self.data_dir / "model" / "match-model.json"

    @property
    def labels_file(self) -> Path:
        return self.data_dir / "model" / "labels.json"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def truth_labels_file(self) -> Path:
        return self.data_dir / "model" / "truth-labels.json"

    @property
    def secret_file(self) -> Path:
        return self.data_dir / "secret.key"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
