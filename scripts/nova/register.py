"""Registers Nova's, Placement's and Glance's service users and catalog entries in Keystone, in one
process: the openstack CLI costs ~3 s per call, and this is some forty calls. Idempotent.
Admin credentials come from the OS_* variables (scripts/keystone.sh env); the rest from a JSON
object on stdin:
  {"password": P, "users": [NAME...],
   "services": [{"type": T, "name": N, "url": U, "replace": true|false}...]}
A user is made in project service with the admin and service roles; a service's public, internal
and admin endpoints are made when missing, and their URL set when "replace" (else left as found).
"""
import json
import os
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

spec = json.load(sys.stdin)
auth = v3.Password(auth_url=os.environ['OS_AUTH_URL'], username=os.environ['OS_USERNAME'],
                   password=os.environ['OS_PASSWORD'], project_name=os.environ['OS_PROJECT_NAME'],
                   user_domain_name=os.environ['OS_USER_DOMAIN_NAME'],
                   project_domain_name=os.environ['OS_PROJECT_DOMAIN_NAME'])
ks = client.Client(session=session.Session(auth=auth), interface='public')
region = os.environ.get('OS_REGION_NAME', 'RegionOne')


def one(found, make):
    return found[0] if found else make()


domain = ks.domains.get('default')
project = one(ks.projects.list(name='service', domain=domain),
              lambda: ks.projects.create('service', domain))
roles = [one(ks.roles.list(name=r), lambda r=r: ks.roles.create(r)) for r in ('admin', 'service')]
for name in spec['users']:
    user = one(ks.users.list(name=name, domain=domain),
               lambda name=name: ks.users.create(name, domain=domain, password=spec['password']))
    for role in roles:
        ks.roles.grant(role, user=user, project=project)
for s in spec['services']:
    service = one(ks.services.list(type=s['type']),
                  lambda s=s: ks.services.create(s['name'], type=s['type']))
    for interface in ('public', 'internal', 'admin'):
        found = ks.endpoints.list(service=service, interface=interface)
        if not found:
            ks.endpoints.create(service, s['url'], interface=interface, region=region)
        elif s['replace'] and found[0].url != s['url']:
            ks.endpoints.update(found[0], url=s['url'])
