package io.mlplatform.storage.mover;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.LoggerFactory;

/**
 * Where the mover's classes come from: its own and those of its JSON and logging libraries, wherever this
 * JVM found them (a build's folders, an image's jars). A JVM opens every jar before the one a class is in:
 * on the service's class path of some 250 jars, a mover took 0.7 s longer to claim its run. The service
 * starts its child movers on this path; an image build lays its movers out from it
 * ({@code docker/mover-build.sh}, which runs this class and prints it).
 */
public final class MoverClassPath {

	/** The entries, joined with the path separator; null when one is not a file (a Boot jar's nested jar). */
	public static final String LEAN = find();

	private MoverClassPath() {
	}

	public static void main(String[] args) {
		if (LEAN == null) {
			System.err.println("The mover's classes are not all in files: " + System.getProperty("java.class.path"));
			System.exit(1);
		}
		System.out.println(LEAN);
	}

	private static String find() {
		List<Class<?>> classes = new ArrayList<>(List.of(Mover.class, tools.jackson.databind.json.JsonMapper.class,
				tools.jackson.core.JsonParser.class, com.fasterxml.jackson.annotation.JsonInclude.class,
				LoggerFactory.class));
		// the logging provider SLF4J found, and the classes it extends (logback's core, in a jar of its own)
		for (Class<?> type = LoggerFactory.getILoggerFactory().getClass(); type != Object.class; type = type
			.getSuperclass()) {
			classes.add(type);
		}
		Set<String> entries = new LinkedHashSet<>();
		for (Class<?> type : classes) {
			CodeSource source = type.getProtectionDomain().getCodeSource();
			if (source == null || !"file".equals(source.getLocation().getProtocol())) {
				return null;
			}
			try {
				entries.add(Path.of(source.getLocation().toURI()).toString());
			}
			catch (URISyntaxException | IllegalArgumentException ex) {
				return null;
			}
		}
		return String.join(File.pathSeparator, entries);
	}

}
