# The production image: docker build -t project-storage-service .
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
RUN mvn -B -q package -DskipTests \
 && java -Djarmode=tools -jar target/project-storage-service-*.jar extract --layers --launcher --destination /app

FROM eclipse-temurin:17-jre
# dependencies change less often than our code: separate layers keep pushes small
COPY --from=build /app/dependencies/ /app/
COPY --from=build /app/spring-boot-loader/ /app/
COPY --from=build /app/snapshot-dependencies/ /app/
COPY --from=build /app/application/ /app/
WORKDIR /app
USER 10001
EXPOSE 8080 9090
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
