"""nova-compute, with alcor_fake_driver loadable: Nova imports a compute_driver only from nova.virt
(nova.virt.<compute_driver>), so the module is registered there before Nova starts. Run by
scripts/nova.sh as /usr/bin/python3 scripts/nova/compute.py --config-file ... (no nova-compute
package: it would pull a hypervisor)."""
import sys

# First, as /usr/bin/nova-compute would: nova.cmd monkey-patches eventlet before anything else.
from nova.cmd import compute

import alcor_fake_driver

sys.modules['nova.virt.alcor_fake_driver'] = alcor_fake_driver
sys.exit(compute.main())
