package io.mlplatform.storage.security;

/**
 * The firewall's rules for header names and values — only assigned, non-control code points, and tab
 * in values — as loops. Spring Security checks them with regexes on every header read, and a 1 KB
 * bearer token is read several times per request.
 */
final class HeaderCharacters {

	private HeaderCharacters() {
	}

	static boolean isAllowedName(String name) {
		return assignedAndNotControl(name, false);
	}

	static boolean isAllowedValue(String value) {
		return assignedAndNotControl(value, true);
	}

	private static boolean assignedAndNotControl(String value, boolean tabAllowed) {
		for (int i = 0; i < value.length();) {
			int codePoint = value.codePointAt(i);
			int type = Character.getType(codePoint);
			if (type == Character.UNASSIGNED || (type == Character.CONTROL && !(tabAllowed && codePoint == '\t'))) {
				return false;
			}
			i += Character.charCount(codePoint);
		}
		return true;
	}

}
