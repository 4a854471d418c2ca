package io.mlplatform.storage;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.yaml.snakeyaml.Yaml;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * {@code docker-compose.yml} as Docker Compose reads it: its services' settings with {@code ${VAR}},
 * {@code ${VAR:-default}} (nested too), {@code ${VAR-default}}, {@code ${VAR:?error}} and {@code $$}
 * resolved against the variables of the shell that runs it. No Docker engine runs here, so tests read
 * the file the way Compose would and start what it names in-process.
 */
public final class ComposeFile {

	public static final Path PATH = Path.of("docker-compose.yml");

	private final Map<String, Object> services;

	private ComposeFile(Map<String, Object> services) {
		this.services = services;
	}

	public static ComposeFile read() {
		try (Reader reader = Files.newBufferedReader(PATH)) {
			Map<String, Object> file = new Yaml().load(reader);
			return new ComposeFile(map(file.get("services")));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	public Map<String, Object> services() {
		return this.services;
	}

	public Map<String, Object> service(String name) {
		return map(this.services.get(name));
	}

	/** A service's environment as its container gets it when compose runs with these variables set. */
	public Map<String, String> environment(String service, Map<String, String> variables) {
		Map<String, String> environment = new LinkedHashMap<>();
		map(service(service).get("environment"))
			.forEach((name, value) -> environment.put(name, interpolate(String.valueOf(value), variables)));
		return environment;
	}

	/** A service's volumes as {@code source:target[:mode]} strings, interpolated. */
	public List<String> volumes(String service, Map<String, String> variables) {
		return list(service(service).get("volumes")).stream()
			.map(volume -> interpolate(String.valueOf(volume), variables))
			.toList();
	}

	/** The file of this checkout that a service mounts at this path of its container. */
	public Path mounted(String service, String containerPath) {
		return volumes(service, Map.of()).stream()
			.map(volume -> volume.split(":"))
			.filter(parts -> parts.length >= 2 && parts[1].equals(containerPath))
			.map(parts -> Path.of(parts[0]))
			.findFirst()
			.orElseThrow(() -> new IllegalStateException(service + " mounts nothing at " + containerPath));
	}

	/** The host port a service publishes a container port at. */
	public int publishedPort(String service, int containerPort) {
		return ports(service, Map.of()).stream()
			.map(port -> port.split(":"))
			.filter(parts -> parts.length >= 2 && parts[parts.length - 1].equals(Integer.toString(containerPort)))
			.map(parts -> Integer.parseInt(parts[parts.length - 2]))
			.findFirst()
			.orElseThrow(() -> new IllegalStateException(service + " publishes no port " + containerPort));
	}

	/** A service's published ports as written ({@code [ip:]host:container}), interpolated. */
	public List<String> ports(String service, Map<String, String> variables) {
		return list(service(service).get("ports")).stream()
			.map(port -> interpolate(String.valueOf(port), variables))
			.toList();
	}

	/**
	 * What the application binds from a container environment: Spring Boot maps {@code PSS_MOVER_SERVICE_URL}
	 * to {@code pss.mover.service-url} only for a source it takes for the system environment, as here.
	 */
	public static Binder binder(Map<String, String> environment) {
		MutablePropertySources sources = new MutablePropertySources();
		sources.addFirst(new SystemEnvironmentPropertySource(
				"compose-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
				new LinkedHashMap<String, Object>(environment)));
		return new Binder(ConfigurationPropertySources.from(sources));
	}

	/** Resolves variables in a value the way Compose does. */
	public static String interpolate(String value, Map<String, String> variables) {
		StringBuilder resolved = new StringBuilder();
		int i = 0;
		while (i < value.length()) {
			char c = value.charAt(i);
			char next = (i + 1 < value.length()) ? value.charAt(i + 1) : 0;
			if (c == '$' && next == '$') {
				resolved.append('$');
				i += 2;
			}
			else if (c == '$' && next == '{') {
				int end = closingBrace(value, i + 2);
				resolved.append(expression(value.substring(i + 2, end), variables));
				i = end + 1;
			}
			else if (c == '$' && (Character.isLetter(next) || next == '_')) {
				int end = nameEnd(value, i + 1);
				resolved.append(variables.getOrDefault(value.substring(i + 1, end), ""));
				i = end;
			}
			else {
				resolved.append(c);
				i++;
			}
		}
		return resolved.toString();
	}

	private static String expression(String expression, Map<String, String> variables) {
		int end = nameEnd(expression, 0);
		String name = expression.substring(0, end);
		String operator = expression.substring(end);
		String value = variables.get(name);
		boolean unset = value == null;
		boolean empty = unset || value.isEmpty();
		if (operator.isEmpty()) {
			return unset ? "" : value;
		}
		if (operator.startsWith(":-") || operator.startsWith("-")) {
			boolean fallBack = operator.startsWith(":-") ? empty : unset;
			return fallBack ? interpolate(operator.substring(operator.indexOf('-') + 1), variables) : value;
		}
		if (operator.startsWith(":?") || operator.startsWith("?")) {
			if (operator.startsWith(":?") ? empty : unset) {
				throw new IllegalStateException("Compose refuses to start: " + name + ": "
						+ interpolate(operator.substring(operator.indexOf('?') + 1), variables));
			}
			return value;
		}
		throw new IllegalArgumentException("Not an interpolation Compose reads: ${" + expression + "}");
	}

	private static int nameEnd(String value, int start) {
		int end = start;
		while (end < value.length() && (Character.isLetterOrDigit(value.charAt(end)) || value.charAt(end) == '_')) {
			end++;
		}
		return end;
	}

	private static int closingBrace(String value, int start) {
		int depth = 1;
		for (int i = start; i < value.length(); i++) {
			if (value.charAt(i) == '$' && i + 1 < value.length() && value.charAt(i + 1) == '{') {
				depth++;
				i++;
			}
			else if (value.charAt(i) == '}' && --depth == 0) {
				return i;
			}
		}
		throw new IllegalArgumentException("Unclosed ${ in " + value);
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object value) {
		if (!(value instanceof Map)) {
			throw new IllegalArgumentException("Not a mapping: " + value);
		}
		return (Map<String, Object>) value;
	}

	@SuppressWarnings("unchecked")
	private static List<Object> list(Object value) {
		if (!(value instanceof List)) {
			throw new IllegalArgumentException("Not a list: " + value);
		}
		return (List<Object>) value;
	}

}
