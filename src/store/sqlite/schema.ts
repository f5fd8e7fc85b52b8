/**
 * Schema, applied in order by version number. Resource rows carry a JSON document of a kilobyte or
 * so, too large for WITHOUT ROWID b-trees (SQLite advises against rows over ~1/20 of a page): they
 * live in rowid tables; the small link tables stay WITHOUT ROWID. A list filter users send has an
 * index that leads with it and ends with id, so a page costs what it returns, never what the table holds.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE networks (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
    shared INTEGER NOT NULL, external INTEGER NOT NULL, segmentation_id INTEGER,
    doc TEXT NOT NULL
  );
  CREATE INDEX networks_project ON networks(project_id, id);
  CREATE INDEX networks_name ON networks(name, id);
  CREATE INDEX networks_visible ON networks(id) WHERE shared = 1 OR external = 1;
  CREATE UNIQUE INDEX networks_segment ON networks(segmentation_id) WHERE segmentation_id IS NOT NULL;

  CREATE TABLE subnets (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
    network_id TEXT NOT NULL, cidr TEXT NOT NULL, ip_version INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX subnets_project ON subnets(project_id, id);
  CREATE INDEX subnets_network ON subnets(network_id, id);
  CREATE INDEX subnets_name ON subnets(name, id);
  CREATE INDEX subnets_cidr ON subnets(cidr, id);

  CREATE TABLE ports (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
    network_id TEXT NOT NULL, device_id TEXT NOT NULL, device_owner TEXT NOT NULL,
    mac_address TEXT NOT NULL, host_id TEXT NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX ports_project ON ports(project_id, id);
  CREATE INDEX ports_network ON ports(network_id, id);
  CREATE INDEX ports_device ON ports(device_id, id);
  CREATE INDEX ports_owner ON ports(device_owner, id);
  CREATE INDEX ports_name ON ports(name, id);
  CREATE INDEX ports_host ON ports(host_id, id);
  -- MAC first: the same index enforces uniqueness per network and serves mac_address filters.
  CREATE UNIQUE INDEX ports_mac_network ON ports(mac_address, network_id);

  CREATE TABLE ip_allocations (
    subnet_id TEXT NOT NULL, ip_key TEXT NOT NULL, ip_address TEXT NOT NULL,
    port_id TEXT NOT NULL, network_id TEXT NOT NULL,
    PRIMARY KEY (subnet_id, ip_key)
  ) WITHOUT ROWID;
  CREATE INDEX ip_allocations_port ON ip_allocations(port_id);
  CREATE INDEX ip_allocations_address ON ip_allocations(ip_address);

  CREATE TABLE security_groups (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL
  );
  CREATE INDEX security_groups_project ON security_groups(project_id, id);
  CREATE INDEX security_groups_name ON security_groups(name, id);

  CREATE TABLE security_group_rules (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, security_group_id TEXT NOT NULL, doc TEXT NOT NULL
  );
  CREATE INDEX security_group_rules_project ON security_group_rules(project_id, id);
  CREATE INDEX security_group_rules_group ON security_group_rules(security_group_id, id);

  CREATE TABLE port_security_groups (
    port_id TEXT NOT NULL, security_group_id TEXT NOT NULL,
    PRIMARY KEY (port_id, security_group_id)
  ) WITHOUT ROWID;
  CREATE INDEX port_security_groups_group ON port_security_groups(security_group_id);

  CREATE TABLE default_security_groups (
    project_id TEXT PRIMARY KEY, security_group_id TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE routers (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL
  );
  CREATE INDEX routers_project ON routers(project_id, id);

  CREATE TABLE changes (
    revision INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, resource_id TEXT NOT NULL, op TEXT NOT NULL, project_id TEXT
  );
  `,
  `
  CREATE TABLE subnetpools (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL
  );
  CREATE INDEX subnetpools_project ON subnetpools(project_id, id);
  CREATE INDEX subnetpools_name ON subnetpools(name, id);
  `,
  `
  CREATE TABLE floatingips (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, port_id TEXT, floating_network_id TEXT NOT NULL,
    router_id TEXT, doc TEXT NOT NULL
  );
  CREATE INDEX floatingips_project ON floatingips(project_id, id);
  CREATE INDEX floatingips_port ON floatingips(port_id, id);
  CREATE INDEX floatingips_router ON floatingips(router_id, id);
  CREATE INDEX floatingips_network ON floatingips(floating_network_id, id);
  `,
  `
  -- Fewer indexes on the hottest table: every index whose key is random (not time-ordered) dirties
  -- one more page per port create, and each page is written to the WAL at commit. Port names are
  -- not indexed (nor are they in Neutron); MAC uniqueness and the network filter share one index,
  -- as Neutron's (network_id, mac_address) constraint does.
  DROP INDEX ports_name;
  DROP INDEX ports_network;
  DROP INDEX ports_mac_network;
  CREATE UNIQUE INDEX ports_network_mac ON ports(network_id, mac_address);
  `,
  `
  -- Where a document's admin-only attributes begin (src/store/sqlite/stored-json.ts); NULL for rows
  -- written before, which a member's list still reads through json_remove.
  ALTER TABLE networks ADD COLUMN public_len INTEGER;
  ALTER TABLE ports ADD COLUMN public_len INTEGER;
  `,
  `
  -- Neutron's agents: one row per (agent_type, host), as its agents table's unique constraint;
  -- binding looks agents up by host.
  CREATE TABLE agents (
    id TEXT PRIMARY KEY, host TEXT NOT NULL, agent_type TEXT NOT NULL, binary TEXT NOT NULL,
    topic TEXT NOT NULL, doc TEXT NOT NULL,
    UNIQUE (agent_type, host)
  );
  CREATE INDEX agents_host ON agents(host, id);
  `,
  `
  -- A network's segment is unique within its kind, not over all networks: VLAN 100 and VNI 100
  -- coexist, and a flat network holds its whole physical network. The key (src/store/sqlite/
  -- segment-key.ts) pads ids to a fixed width, so the one index also serves VNI and VLAN id gap
  -- search in numeric order. Every network stored before this was VXLAN.
  ALTER TABLE networks ADD COLUMN segment TEXT;
  UPDATE networks SET segment = CASE coalesce(json_extract(doc, '$."provider:network_type"'), 'vxlan')
      WHEN 'vxlan' THEN printf('vxlan:%08d', segmentation_id)
      WHEN 'vlan' THEN printf('vlan:%s:%04d', json_extract(doc, '$."provider:physical_network"'), segmentation_id)
    END
    WHERE segmentation_id IS NOT NULL;
  UPDATE networks SET segment = 'flat:' || json_extract(doc, '$."provider:physical_network"')
    WHERE json_extract(doc, '$."provider:network_type"') = 'flat' AND json_extract(doc, '$."provider:physical_network"') IS NOT NULL;
  DROP INDEX networks_segment;
  CREATE UNIQUE INDEX networks_segment ON networks(segment);
  `,
  `
  -- Quotas (Neutron's quotas and quotausages): the limits an admin set per project and resource,
  -- and every project's usage per kind, kept by the store's own insert and delete in the same
  -- transaction as the row, so that a create checks its quota against an exact count without a
  -- scan. Usage is backfilled from the rows already stored.
  CREATE TABLE quota_limits (
    project_id TEXT NOT NULL, resource TEXT NOT NULL, "limit" INTEGER NOT NULL,
    PRIMARY KEY (project_id, resource)
  ) WITHOUT ROWID;
  CREATE TABLE quota_usages (
    project_id TEXT NOT NULL, resource TEXT NOT NULL, in_use INTEGER NOT NULL,
    PRIMARY KEY (project_id, resource)
  ) WITHOUT ROWID;
  INSERT INTO quota_usages (project_id, resource, in_use)
    SELECT project_id, 'network', count(*) FROM networks GROUP BY project_id
    UNION ALL SELECT project_id, 'subnet', count(*) FROM subnets GROUP BY project_id
    UNION ALL SELECT project_id, 'port', count(*) FROM ports GROUP BY project_id
    UNION ALL SELECT project_id, 'security_group', count(*) FROM security_groups GROUP BY project_id
    UNION ALL SELECT project_id, 'security_group_rule', count(*) FROM security_group_rules GROUP BY project_id
    UNION ALL SELECT project_id, 'router', count(*) FROM routers GROUP BY project_id
    UNION ALL SELECT project_id, 'subnetpool', count(*) FROM subnetpools GROUP BY project_id
    UNION ALL SELECT project_id, 'floatingip', count(*) FROM floatingips GROUP BY project_id;
  `,
  `
  -- Neutron's RBAC policies on networks (access_as_shared, access_as_external). A network's
  -- visibility to a project is a lookup by (target_tenant, action) ending in object_id; a network's
  -- own policies are found by object_id; one policy per (object, action, target), as Neutron's
  -- unique constraint. A network already shared or external gets its wildcard policy, as Neutron
  -- keeps one for every shared or external network, owned by the network's project.
  CREATE TABLE rbac_policies (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, object_type TEXT NOT NULL, object_id TEXT NOT NULL,
    action TEXT NOT NULL, target_tenant TEXT NOT NULL, doc TEXT NOT NULL
  );
  CREATE UNIQUE INDEX rbac_policies_object ON rbac_policies(object_id, action, target_tenant);
  CREATE INDEX rbac_policies_target ON rbac_policies(target_tenant, action, object_id);
  CREATE INDEX rbac_policies_project ON rbac_policies(project_id, id);
  INSERT INTO rbac_policies (id, project_id, object_type, object_id, action, target_tenant, doc)
    SELECT id, project_id, 'network', network_id, action, '*',
      json_object('id', id, 'project_id', project_id, 'action', action, 'object_id', network_id,
                  'target_tenant', '*', 'object_type', 'network', 'tenant_id', project_id)
    FROM (
      SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
               || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))) AS id,
             project_id, id AS network_id, 'access_as_shared' AS action
        FROM networks WHERE shared = 1
      UNION ALL
      SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
               || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
             project_id, id, 'access_as_external'
        FROM networks WHERE external = 1
    );
  INSERT INTO quota_usages (project_id, resource, in_use)
    SELECT project_id, 'rbac_policy', count(*) FROM rbac_policies WHERE true GROUP BY project_id
    ON CONFLICT (project_id, resource) DO UPDATE SET in_use = in_use + excluded.in_use;
  `,
  `
  -- Neutron's address scopes. A member's list is its own rows or those an RBAC policy shares with
  -- it or all (rbac_policies_target), as its networks. Subnet pools get their scope and shared flag
  -- as columns: a scope's pools (in-use and overlap checks) are one probe, and a member's pool list
  -- (its own or shared ones) is a MULTI-INDEX OR of (project_id, id) and (shared, id) rather than a
  -- read of every document.
  CREATE TABLE address_scopes (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, shared INTEGER NOT NULL,
    ip_version INTEGER NOT NULL, doc TEXT NOT NULL
  );
  CREATE INDEX address_scopes_project ON address_scopes(project_id, id);
  CREATE INDEX address_scopes_name ON address_scopes(name, id);
  CREATE INDEX address_scopes_shared ON address_scopes(shared, id);
  ALTER TABLE subnetpools ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE subnetpools ADD COLUMN address_scope_id TEXT;
  UPDATE subnetpools SET shared = coalesce(json_extract(doc, '$.shared'), 0),
    address_scope_id = json_extract(doc, '$.address_scope_id');
  CREATE INDEX subnetpools_scope ON subnetpools(address_scope_id, id);
  CREATE INDEX subnetpools_shared ON subnetpools(shared, id);
  -- A pool's subnets (its free space, its in-use check, re-scoping and remove_prefixes) by index.
  ALTER TABLE subnets ADD COLUMN subnetpool_id TEXT;
  UPDATE subnets SET subnetpool_id = json_extract(doc, '$.subnetpool_id');
  CREATE INDEX subnets_pool ON subnets(subnetpool_id, id);
  `,
  `
  -- Neutron's auto_allocated_topologies: the network and router GET /auto-allocated-topology built
  -- for a project, one per project (the key is what makes two concurrent first calls build one).
  -- Networks gain is_default (false unless an admin makes an external network the default).
  CREATE TABLE auto_allocated_topologies (
    project_id TEXT PRIMARY KEY, network_id TEXT NOT NULL, router_id TEXT
  ) WITHOUT ROWID;
  UPDATE networks SET doc = json_set(doc, '$.is_default', json('false')) WHERE json_extract(doc, '$.is_default') IS NULL;
  `,
];
