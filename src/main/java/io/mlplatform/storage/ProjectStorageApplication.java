package io.mlplatform.storage;

import java.time.Clock;
import java.time.Duration;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Bean;

@SpringBootApplication
@ConfigurationPropertiesScan
public class ProjectStorageApplication {

	public static void main(String[] args) {
		SpringApplication.run(ProjectStorageApplication.class, args);
	}

	/** Injectable so tests can move time; database timestamps keep microseconds, so does the clock. */
	@Bean
	Clock clock() {
		return Clock.tick(Clock.systemUTC(), Duration.ofNanos(1000));
	}

}
