#!/usr/bin/env python3
"""Prints the pageToken of page N of a list by walking it, as a client would."""
import json
import os
import sys
import urllib.request
from urllib.parse import quote

url, page = sys.argv[1], int(sys.argv[2])
token = None
for _ in range(page - 1):
    request = urllib.request.Request(url + ("&pageToken=" + quote(token) if token else ""),
                                     headers={"Authorization": "Bearer " + os.environ["PSS_TOKEN"]})
    with urllib.request.urlopen(request, timeout=30) as r:
        token = json.load(r)["nextPageToken"]
print(token)
