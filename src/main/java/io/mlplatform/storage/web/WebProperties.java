package io.mlplatform.storage.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * @param maxRequestBody largest request body accepted; API bodies are small, so anything bigger is
 * refused before it is read
 */
@ConfigurationProperties("pss.web")
public record WebProperties(@DefaultValue("256KB") DataSize maxRequestBody) {
}
