"""moto's server with one lookup indexed: an EC2 resource's own tags.

moto (5.2.5) finds the tags of one EC2 resource by filtering every tag of the region with a regular
expression on the resource id (`TaggedEC2Resource.get_tags` -> `describe_tags(resource-id)`), and
DescribeInstances calls that once or more per instance it looks at. A call over n instances in a
region holding T tags costs O(n x T): with a 1,000-event spot burst (2,000+ instances, tens of
thousands of tags) one DescribeInstances took tens of seconds of Python, so moto, not eksflow,
decided how the chaos run went. This reads the same tags from moto's own per-resource table
(`TagBackend.tags[resource_id]`), in the same order and shape; every other line of moto is unchanged.
test/integration/moto-tags.test.ts compares the answers with the unpatched server's.

Run by src/sandbox/processes.ts (`startMoto`) with the provisioned virtualenv's python, with
moto_server's own arguments.
"""

import sys

from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix


def _own_tags(self):  # type: ignore[no-untyped-def]
    resource_id = getattr(self, "id", None)
    if not resource_id:
        return []
    # .get: reading must not add an empty entry to moto's defaultdict.
    tags = self.ec2_backend.tags.get(resource_id)
    if not tags:
        return []
    resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
    return [
        {"resource_id": resource_id, "key": key, "value": value, "resource_type": resource_type}
        for key, value in list(tags.items())
    ]


TaggedEC2Resource.get_tags = _own_tags  # type: ignore[method-assign]

if __name__ == "__main__":
    from moto.server import main

    sys.argv[0] = "moto_server"
    sys.exit(main())
