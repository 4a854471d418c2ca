#!/usr/bin/env python3
"""Prints the pageToken of page N of a list by walking it, as a client would."""
import json
import sys
import urllib.request
from urllib.parse import quote

url, page = sys.argv[1], int(sys.argv[2])
token = None
for _ in range(page - 1):
    with urllib.request.urlopen(url + ("&pageToken=" + quote(token) if token else ""), timeout=30) as r:
        token = json.load(r)["nextPageToken"]
print(token)
