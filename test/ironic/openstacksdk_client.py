"""Drive the inspector's v1 API with openstacksdk (Debian's python3-openstacksdk), as operators do.

Usage: /usr/bin/python3 openstacksdk_client.py <scenario> ; settings in the environment:
INSPECTOR_URL, IRONIC_URL, NODE, CALLBACK (path of a ramdisk callback JSON file).
Prints one JSON document with what it saw.
"""
import json
import os
import sys
import time
import urllib.request

import openstack

conn = openstack.connection.Connection(
    auth_type='none',
    baremetal_endpoint_override=os.environ['IRONIC_URL'] + '/',
    baremetal_introspection_endpoint_override=os.environ['INSPECTOR_URL'] + '/',
    baremetal_api_version='1.82',
)
api = conn.baremetal_introspection
node = os.environ['NODE']


def wait_state(state, timeout=30):
    deadline = time.time() + timeout
    while True:
        intro = api.get_introspection(node)
        if intro.state == state:
            return intro
        if time.time() > deadline:
            raise RuntimeError('node %s did not reach %s, is %s' % (node, state, intro.state))
        time.sleep(0.3)


def ramdisk_callback():
    with open(os.environ['CALLBACK']) as f:
        body = f.read().encode()
    request = urllib.request.Request(os.environ['INSPECTOR_URL'] + '/v1/continue', data=body, method='POST')
    with urllib.request.urlopen(request) as response:
        return response.status, json.loads(response.read())


def happy_path():
    started = api.start_introspection(node)
    seen = {'started_id': started.id, 'after_start': api.get_introspection(node).state}
    wait_state('waiting')
    seen['callback'] = ramdisk_callback()
    finished = api.wait_for_introspection(node, timeout=60)
    seen['finished'] = {'state': finished.state, 'is_finished': finished.is_finished, 'error': finished.error}
    data = api.get_introspection_data(node)
    seen['data_keys'] = sorted(data)
    seen['data'] = {k: data[k] for k in ('cpus', 'memory_mb', 'local_gb', 'cpu_arch', 'macs')}
    raw = api.get_introspection_data(node, processed=False)
    seen['unprocessed_keys'] = sorted(raw)
    seen['listed'] = [i.id for i in api.introspections()]
    return seen


def abort():
    api.start_introspection(node)
    wait_state('waiting')
    api.abort_introspection(node)
    intro = wait_state('error')
    seen = {'state': intro.state, 'error': intro.error, 'is_finished': intro.is_finished}
    try:
        api.wait_for_introspection(node, timeout=10)
        seen['wait'] = 'returned'
    except Exception as exc:  # openstacksdk raises on an errored introspection
        seen['wait'] = type(exc).__name__ + ': ' + str(exc)
    return seen


print(json.dumps({'happy_path': happy_path, 'abort': abort}[sys.argv[1]]()))
