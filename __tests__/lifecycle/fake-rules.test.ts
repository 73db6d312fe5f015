/**
 * The fake's own rules, called directly over HTTP: each is a rule of the real API that the
 * lifecycle scenarios rely on, shown refusing what Hetzner refuses, with the real error code.
 * No engine needed.
 */
import { FakeHcloud } from './fake-hcloud';
import { api } from './support/api';

let fake: FakeHcloud;
beforeAll(async () => {
  fake = await FakeHcloud.start();
});
afterAll(async () => fake?.stop());

const server = (name: string, extra: Record<string, unknown> = {}) =>
  api(fake, 'POST', '/servers', {
    name,
    server_type: 'cx23',
    image: 'ubuntu-24.04',
    location: 'fsn1',
    ...extra,
  });
const code = (r: { body: any }) => r.body?.error?.code;

test('an unknown token is refused with 401 unauthorized', async () => {
  const res = await fetch(`${fake.endpoint}/servers`, { headers: { Authorization: 'Bearer nope' } });
  expect(res.status).toBe(401);
  expect(((await res.json()) as any).error.code).toBe('unauthorized');
});

test('names are unique per resource type', async () => {
  expect((await server('unique-1')).status).toBe(201);
  const again = await server('unique-1');
  expect([again.status, code(again)]).toEqual([409, 'uniqueness_error']);
});

test('a primary IP goes to one server only, in its own location, and is kept when the server goes', async () => {
  const ip = await api(fake, 'POST', '/primary_ips', {
    name: 'ip-rules',
    type: 'ipv4',
    assignee_type: 'server',
    location: 'fsn1',
    auto_delete: false,
  });
  const id = ip.body.primary_ip.id;
  const first = await server('ip-holder', { public_net: { ipv4: id, enable_ipv6: false } });
  expect(first.status).toBe(201);
  const second = await server('ip-thief', { public_net: { ipv4: id, enable_ipv6: false } });
  expect([second.status, code(second)]).toEqual([409, 'primary_ip_assigned']);
  // Still assigned: cannot be deleted.
  const assigned = await api(fake, 'DELETE', `/primary_ips/${id}`);
  expect([assigned.status, code(assigned)]).toEqual([409, 'primary_ip_assigned']);
  await api(fake, 'DELETE', `/servers/${first.body.server.id}`);
  const after = await api(fake, 'GET', `/primary_ips/${id}`);
  expect(after.body.primary_ip.assignee_id).toBeNull();
  // Free again, but only for a server in its own location.
  const elsewhere = await server('ip-traveller', {
    location: 'nbg1',
    public_net: { ipv4: id, enable_ipv6: false },
  });
  expect([elsewhere.status, code(elsewhere)]).toEqual([422, 'primary_ip_datacenter_mismatch']);
});

test('a protected primary IP cannot be deleted', async () => {
  const ip = await api(fake, 'POST', '/primary_ips', {
    name: 'ip-protected',
    type: 'ipv4',
    assignee_type: 'server',
    location: 'fsn1',
    auto_delete: false,
  });
  const id = ip.body.primary_ip.id;
  await api(fake, 'POST', `/primary_ips/${id}/actions/change_protection`, { delete: true });
  const del = await api(fake, 'DELETE', `/primary_ips/${id}`);
  expect([del.status, code(del)]).toEqual([403, 'protected']);
});

test('private IPs must lie in a subnet and be unique', async () => {
  const net = await api(fake, 'POST', '/networks', {
    name: 'rules-net',
    ip_range: '10.5.0.0/16',
    subnets: [{ type: 'cloud', network_zone: 'eu-central', ip_range: '10.5.1.0/24' }],
  });
  const network = net.body.network.id;
  const a = await server('net-a');
  expect(a.status).toBe(201);
  const attach = (id: number, ip: string) =>
    api(fake, 'POST', `/servers/${id}/actions/attach_to_network`, { network, ip });
  expect((await attach(a.body.server.id, '10.5.1.10')).status).toBe(201);
  const b = await server('net-b');
  const outside = await attach(b.body.server.id, '10.5.9.10');
  expect([outside.status, code(outside)]).toEqual([422, 'invalid_input']);
  const taken = await attach(b.body.server.id, '10.5.1.10');
  expect([taken.status, code(taken)]).toEqual([422, 'ip_not_available']);
});

test('a spread placement group holds at most 10 servers', async () => {
  const pg = await api(fake, 'POST', '/placement_groups', { name: 'rules-pg', type: 'spread' });
  const id = pg.body.placement_group.id;
  for (let i = 0; i < 10; i++) expect((await server(`pg-${i}`, { placement_group: id })).status).toBe(201);
  const eleventh = await server('pg-10', { placement_group: id });
  expect([eleventh.status, code(eleventh)]).toEqual([422, 'placement_error']);
});

test('a firewall cannot be applied to a server without a public interface', async () => {
  const fw = await api(fake, 'POST', '/firewalls', { name: 'rules-fw' });
  const firewall = fw.body.firewall.id;
  const net = await api(fake, 'POST', '/networks', {
    name: 'rules-net-2',
    ip_range: '10.6.0.0/16',
    subnets: [{ type: 'cloud', network_zone: 'eu-central', ip_range: '10.6.1.0/24' }],
  });
  const privateOnly = await server('private-only', {
    networks: [net.body.network.id],
    public_net: { enable_ipv4: false, enable_ipv6: false },
    firewalls: [{ firewall }],
  });
  expect([privateOnly.status, code(privateOnly)]).toEqual([422, 'private_net_only_server']);
});

test('paginates lists with meta.pagination', async () => {
  const page1 = await api(fake, 'GET', '/servers?per_page=2&page=1');
  expect(page1.body.servers).toHaveLength(2);
  expect(page1.body.meta.pagination).toMatchObject({ page: 1, per_page: 2, next_page: 2 });
});
